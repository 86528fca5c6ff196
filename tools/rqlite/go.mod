// Pins the rqlite release pgrq runs. rqlited is built from this module through the Go
// module proxy by ../../scripts/install-rqlited.sh; nothing of rqlite's source is kept here.
module pgrq/tools/rqlite

go 1.26

require github.com/rqlite/rqlite/v10 v10.3.0

// rqlite must be built with its own replace directives (it needs the fork's go-sqlite3
// additions); these match rqlite's go.mod.
replace (
	github.com/armon/go-metrics => github.com/hashicorp/go-metrics v0.5.1
	github.com/mattn/go-sqlite3 => github.com/rqlite/go-sqlite3 v1.49.0
)
