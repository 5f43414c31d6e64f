// Package e2e holds Credentialflow's end-to-end tests. They build the real
// cflow binary once (TestMain), then drive it the way a user does: `cflow
// serve` as a child process on a loopback port, the wallet, issue, verify and
// did commands as separate processes, and plain HTTP against the server. They
// assert exit statuses, stdout values and wire bodies, not internals.
//
// This package owns no production code; it imports nothing from the module,
// so a test here fails when the binary's behaviour changes, whatever the
// packages underneath say.
package e2e
