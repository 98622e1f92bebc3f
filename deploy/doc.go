// Package deploy holds the deployment examples (systemd/, kubernetes/); it has no code,
// only tests that check the examples against the Kubernetes API types, systemd and
// the binary's real routes, ports and image (docs/install.md).
package deploy
