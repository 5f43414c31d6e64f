package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of the HTTP surface (openapi.yaml).
// Tests check it against the router in both directions, so it lists exactly
// what NewRouter serves with every role and option on; upstream routes are
// described once, by components/pathItems/UpstreamProxy.
//
//go:embed openapi.yaml
var OpenAPI []byte
