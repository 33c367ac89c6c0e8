// Command zoo-chaos runs the chaos scenarios.
package main

func main() {}
