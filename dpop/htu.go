package dpop

import (
	"net/url"
	"strings"
)

// normalURI is uri as RFC 9449 §4.3 item 9 compares it: without query and fragment,
// after the syntax-based and scheme-based normalisation of RFC 3986 §6.2.2 and §6.2.3
// (case of scheme and host, percent-encoding case and unreserved characters, dot
// segments, the scheme's default port, an empty path as "/"). ok is false for anything
// but an absolute http or https URI with a host.
func normalURI(uri string) (string, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Opaque != "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "https" && scheme != "http") || u.Host == "" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	// EscapedPath re-encodes the decoded path: percent-encodings come out upper case
	// and unreserved characters unencoded (RFC 3986 §6.2.2.1, §6.2.2.2).
	path := (&url.URL{Path: u.Path}).EscapedPath()
	path = removeDots(path)
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// removeDots is RFC 3986 §5.2.4 on an absolute path.
func removeDots(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	var out []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch s {
		case ".":
			if i == len(segs)-1 {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if i == len(segs)-1 {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}
