package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// explain turns a transport error into one a user can act on: what went
// wrong (DNS, TLS, timeout, reset) and, with phase, when. The source's URL
// is left to the caller, which knows it; the cause stays wrapped.
func (c *Client) explain(parent, timed context.Context, phase string, err error) error {
	if perr := parent.Err(); perr != nil {
		return perr
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its "Get \"<url>\":" prefix repeats what the caller knows
	}
	while := ""
	if phase != "" {
		while = " while " + phase
	}
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		authErr x509.UnknownAuthorityError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
		netErr  net.Error
	)
	switch {
	case errors.Is(timed.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w after %s%s", ErrTimeout, c.opts.Timeout, while)
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrPrivateNetwork),
		errors.Is(err, ErrTooManyRedirects), errors.Is(err, ErrRedirectLoop), errors.Is(err, ErrRedirectScheme):
		return err
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return fmt.Errorf("DNS: no such host %q: %w", dnsErr.Name, err)
		}
		return fmt.Errorf("DNS lookup of %q failed: %w", dnsErr.Name, err)
	case errors.As(err, &certErr), errors.As(err, &authErr), errors.As(err, &hostErr),
		errors.As(err, &recErr), strings.Contains(err.Error(), "tls: "):
		return fmt.Errorf("TLS failed: %w", err)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("connection reset by the server%s: %w", while, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connection refused: %w", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("connection closed early%s: %w", while, err)
	case errors.Is(err, io.EOF) && phase == "":
		return fmt.Errorf("connection closed by the server before it answered: %w", err)
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Errorf("%w%s: %w", ErrTimeout, while, err)
	case phase != "":
		return fmt.Errorf("%s: %w", phase, err)
	}
	return err
}
