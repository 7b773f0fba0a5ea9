package fetch

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
)

// acceptEncoding is what we ask for; net/http's own transparent gzip is
// off so that deflate and br work too and every decoder runs under the
// same size cap.
const acceptEncoding = "gzip, deflate, br"

// decode wraps body in the decoders named by a Content-Encoding header,
// applied last first as the header lists them in the order they were
// applied.
func decode(body io.Reader, contentEncoding string) (io.Reader, error) {
	var codings []string
	for _, c := range strings.Split(contentEncoding, ",") {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
			codings = append(codings, c)
		}
	}
	r := body
	for i := len(codings) - 1; i >= 0; i-- {
		switch codings[i] {
		case "gzip", "x-gzip":
			zr, err := gzip.NewReader(r)
			if err != nil {
				return nil, fmt.Errorf("gzip body: %w", err)
			}
			r = zr
		case "deflate":
			r = deflateReader(r)
		case "br":
			r = brotli.NewReader(r)
		default:
			return nil, fmt.Errorf("unsupported Content-Encoding %q", codings[i])
		}
	}
	return r, nil
}

// deflateReader reads HTTP "deflate", which is meant to be zlib but which
// some servers send as raw deflate; the zlib header tells them apart.
func deflateReader(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
		zr, err := zlib.NewReader(br)
		if err == nil {
			return zr
		}
	}
	return flate.NewReader(br)
}

// isGzip reports whether body is a gzip file: a feed stored gzipped
// (feed.xml.gz) and served as a file, as application/gzip and without a
// Content-Encoding. No feed or page starts with gzip's magic bytes.
func isGzip(body []byte) bool {
	return len(body) >= 3 && body[0] == 0x1f && body[1] == 0x8b && body[2] == 8
}

// gunzip decompresses a gzip file, max bytes of it at most.
func gunzip(body []byte, max int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("gzip file: %w", err)
	}
	out, err := readAll(&capReader{r: zr, left: max, what: "decompressed gzip file"}, 0)
	if err != nil {
		return nil, fmt.Errorf("gzip file: %w", err)
	}
	return out, nil
}
