package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"go.yaml.in/yaml/v3"
)

// OpenAPIDocument is the contract of this API (OpenAPI 3.1), as in api/openapi.yaml; a
// test keeps it equal to the router's routes. The API serves it at /api/v1/openapi.yaml
// with the deployment's public URL as its server (see openAPIFor).
//
//go:embed openapi.yaml
var OpenAPIDocument []byte

// openAPIFor returns OpenAPIDocument with the url of its one server replaced by
// publicURL, the base URL clients reach the API at (config OCC_PUBLIC_URL). The rest is
// the file's bytes, unchanged. An empty publicURL returns the document as it is.
func openAPIFor(publicURL string) ([]byte, error) {
	if publicURL == "" {
		return OpenAPIDocument, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(OpenAPIDocument, &doc); err != nil {
		return nil, fmt.Errorf("api/openapi.yaml: %w", err)
	}
	url, err := serverURLNode(&doc)
	if err != nil {
		return nil, fmt.Errorf("api/openapi.yaml: %w", err)
	}
	start := byteOffset(OpenAPIDocument, url.Line, url.Column)
	end := start + len(url.Value)
	if url.Style != 0 || start < 0 || end > len(OpenAPIDocument) || string(OpenAPIDocument[start:end]) != url.Value {
		return nil, errors.New("api/openapi.yaml: the server's url must be a plain scalar, such as http://127.0.0.1:8080")
	}
	value, err := yaml.Marshal(publicURL) // plain if it can be, quoted if it must be
	if err != nil {
		return nil, err
	}
	if value = bytes.TrimSuffix(value, []byte("\n")); bytes.ContainsRune(value, '\n') {
		value, _ = json.Marshal(publicURL) // a JSON string is a YAML scalar on one line
	}
	out := make([]byte, 0, len(OpenAPIDocument)-len(url.Value)+len(value))
	out = append(out, OpenAPIDocument[:start]...)
	out = append(out, value...)
	return append(out, OpenAPIDocument[end:]...), nil
}

// serverURLNode finds the value of servers[0].url and checks that there is one server.
func serverURLNode(doc *yaml.Node) (*yaml.Node, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	servers := mappingValue(doc.Content[0], "servers")
	if servers == nil || servers.Kind != yaml.SequenceNode || len(servers.Content) != 1 || servers.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("servers must list one server, the deployment's")
	}
	url := mappingValue(servers.Content[0], "url")
	if url == nil || url.Kind != yaml.ScalarNode {
		return nil, errors.New("the server has no url")
	}
	return url, nil
}

// mappingValue is the value of key in the mapping m, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// byteOffset converts a 1-based line and column to an offset in b (-1 past the end),
// taking the column as a count of bytes: exact for the ASCII before the server's url, and
// openAPIFor checks the bytes it finds there.
func byteOffset(b []byte, line, column int) int {
	off := 0
	for range line - 1 {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	return off + column - 1
}

// serveOpenAPI serves the document built by New, or the file's document for an API not
// built by New.
func (a *API) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	doc := a.openAPI
	if doc == nil {
		doc = OpenAPIDocument
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(doc)
}

// mustOpenAPIFor is openAPIFor for New. It fails only if api/openapi.yaml loses its single
// server entry, which TestOpenAPIServers catches.
func mustOpenAPIFor(publicURL string) []byte {
	doc, err := openAPIFor(publicURL)
	if err != nil {
		panic(err)
	}
	return doc
}
