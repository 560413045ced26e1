package api

import (
	_ "embed"
	"net/http"
)

// OpenAPIDocument is the contract of this API (OpenAPI 3.1), served at
// /api/v1/openapi.yaml; a test keeps it equal to the router's routes.
//
//go:embed openapi.yaml
var OpenAPIDocument []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(OpenAPIDocument)
}
