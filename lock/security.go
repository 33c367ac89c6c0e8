package lock

import (
	"github.com/go-zookeeper/zk"
)

// ACLs the recipe creates with. Without credentials everything is open, as
// ZooKeeper's default. With them, only the same credentials can delete or
// change a lock's znodes — another tenant can read (status works) but
// neither delete a holder's znode nor queue under a lock it did not create
// (ZooKeeper checks delete and create on the parent).
type acls struct {
	root, parent, node []zk.ACL
}

func aclsFor(authenticated bool) acls {
	if !authenticated {
		open := zk.WorldACL(zk.PermAll)
		return acls{root: open, parent: open, node: open}
	}
	mine := zk.ACL{Perms: zk.PermAll, Scheme: "auth"}
	read := zk.ACL{Perms: zk.PermRead, Scheme: "world", ID: "anyone"}
	// The shared root lets every tenant create its own lock parents.
	readCreate := zk.ACL{Perms: zk.PermRead | zk.PermCreate, Scheme: "world", ID: "anyone"}
	return acls{
		root:   []zk.ACL{mine, readCreate},
		parent: []zk.ACL{mine, read},
		node:   []zk.ACL{mine, read},
	}
}
