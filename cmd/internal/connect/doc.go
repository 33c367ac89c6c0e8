// Package connect reads how the wrapper reaches ZooKeeper: the connect
// string, the digest credentials file and the TLS files.
//
// Its one invariant: a secret is read only from a file its owner alone can
// read, never from argv or the environment, and never logged.
package connect
