// Command zoo-locked runs a command under a ZooKeeper lock.
package main

func main() {}
