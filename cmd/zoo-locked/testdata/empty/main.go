// Command empty does nothing: the benchmarks time a Go process start
// with it.
package main

func main() {}
