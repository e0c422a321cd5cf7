// Go's work pool, the peer of benchmarks/patterns.py: n workers ranging over a job channel of 1024.
//
// usage: gopatterns CASE WORKERS N    (CASE: noop | timer)
// prints {"seconds": s, "n": n}: the time to submit N jobs and wait for all of them.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gopatterns CASE WORKERS N")
		os.Exit(2)
	}
	kind := os.Args[1]
	workers, _ := strconv.Atoi(os.Args[2])
	n, _ := strconv.Atoi(os.Args[3])
	task := func() {}
	if kind == "timer" {
		task = func() { time.Sleep(10 * time.Microsecond) }
	}
	jobs := make(chan func(), 1024)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j()
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- task
	}
	close(jobs)
	wg.Wait()
	out, _ := json.Marshal(map[string]float64{"seconds": time.Since(start).Seconds(), "n": float64(n)})
	fmt.Println(string(out))
}
