//go:build tools

// Package tools keeps `go mod tidy` from dropping the rqlited requirement.
package tools

import _ "github.com/rqlite/rqlite/v10/cmd/rqlited"
