// The seeds' Go consumer, the peer of benchmarks/jobs.py's memory-store table: a buffered job
// channel, N worker goroutines ranging over it, a context per job (context.WithCancel, cancelled
// when the job returns), no-op jobs.
//
// usage: jobs_go WORKERS N
// prints {"seconds": s, "n": n}: from the first submit to the last job done. The channel holds N
// jobs, as the gochan run's queue capacity is N.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

type job struct {
	id int
}

func dowork(ctx context.Context, j job) {}

func worker(jobs <-chan job, done *sync.WaitGroup) {
	for j := range jobs {
		ctx, cancel := context.WithCancel(context.Background())
		dowork(ctx, j)
		cancel()
		done.Done()
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: jobs_go WORKERS N")
		os.Exit(2)
	}
	workers, _ := strconv.Atoi(os.Args[1])
	n, _ := strconv.Atoi(os.Args[2])
	jobs := make(chan job, n)
	var done sync.WaitGroup
	for w := 0; w < workers; w++ {
		go worker(jobs, &done)
	}
	start := time.Now()
	done.Add(n)
	for i := 0; i < n; i++ {
		jobs <- job{i}
	}
	done.Wait()
	elapsed := time.Since(start).Seconds()
	close(jobs)
	out, _ := json.Marshal(map[string]float64{"seconds": elapsed, "n": float64(n)})
	fmt.Println(string(out))
}
