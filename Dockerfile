# feedmill in a container: one static binary on an empty image, with CA
# certificates (HTTPS feeds) and the time zone database (embedded in the
# binary by -tags timetzdata), running as a user without privileges.
#
# The binary is built outside the image, so that no builder image has to
# be pulled: docker/build.sh builds it and the context, then the image:
#
#	docker/build.sh            # → image feedmill:latest
#
# Run it with a folder for the store, the site and the configuration:
#
#	docker run -d -p 8080:8080 -v "$PWD/data:/data" feedmill
#
# /data/feedmill.yaml is the configuration (FEEDMILL_CONFIG); relative
# paths in it resolve against /data. The store defaults to
# /data/feedmill.db (FEEDMILL_STORE) and serve listens on :8080
# (FEEDMILL_LISTEN). See the README's "Deploying".
FROM scratch
COPY dist/feedmill /feedmill
COPY dist/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# An empty /data owned by the unprivileged user, so that a new named
# volume is writable by it.
COPY --chown=65532:65532 dist/data /data
ENV FEEDMILL_CONFIG=/data/feedmill.yaml \
    FEEDMILL_STORE=/data/feedmill.db \
    FEEDMILL_LISTEN=:8080 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/feedmill", "healthcheck"]
ENTRYPOINT ["/feedmill"]
CMD ["serve"]
