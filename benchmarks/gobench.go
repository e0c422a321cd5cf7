// Go's reference numbers for gochan's benchmark suite: the same shapes, in Go.
//
// Usage: gobench SHAPE PARAMS_JSON, printing one JSON object, as benchmarks/worker.py does.
// Written to a temp dir, built and run by benchmarks/golang.py; standard library only.
// The work loop is Go's, far cheaper per unit than CPython's: compare the shape of the
// buffer-study curves with the Python ones, not their height.
package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	work0     = 16 // mean units of work per message (workload.WORK)
	burst     = 64 // messages per burst (workload.BURST)
	workers   = 4  // pool workers (workload.WORKERS)
	producers = 4  // fan-in and select producers (workload.PRODUCERS)
	seed      = 1234
)

var sink int

func work(units int) {
	s := 0
	for i := 0; i < units; i++ {
		s += i
	}
	sink += s
}

func jitter(n int) []int {
	rng := rand.New(rand.NewSource(seed))
	costs := make([]int, n)
	for i := range costs {
		costs[i] = rng.Intn(2*work0 + 1)
	}
	return costs
}

func constant(n, units int) []int {
	costs := make([]int, n)
	for i := range costs {
		costs[i] = units
	}
	return costs
}

func pingpong(n int) time.Duration {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	dt := time.Since(t0)
	close(ping)
	return dt
}

// transfer: one producer, one consumer, channel of capacity buf, in the given regime.
func transfer(n, buf int, regime string) time.Duration {
	var costs []int
	prodWork, pause := 0, 0
	switch regime {
	case "balanced":
		prodWork, costs = work0, constant(n, work0)
	case "bursty":
		pause, costs = burst*work0, constant(n, work0)
	case "jitter":
		prodWork, costs = work0, jitter(n)
	}
	ch := make(chan int, buf)
	t0 := time.Now()
	go func() {
		for i := 0; i < n; i++ {
			if prodWork > 0 {
				work(prodWork)
			}
			ch <- i
			if pause > 0 && i%burst == burst-1 {
				runtime.Gosched()
				work(pause)
			}
		}
		close(ch)
	}()
	for v := range ch {
		if costs != nil {
			work(costs[v])
		}
	}
	return time.Since(t0)
}

func pool(n, buf int) time.Duration {
	costs := jitter(n)
	jobs := make(chan int, buf)
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range jobs {
				work(costs[v])
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return time.Since(t0)
}

func manyToOne(n int, sel bool) time.Duration {
	per := n / producers
	if per < 1 {
		per = 1
	}
	chans := make([]chan int, producers)
	for k := range chans {
		if sel || k == 0 {
			chans[k] = make(chan int)
		} else {
			chans[k] = chans[0] // fan-in: every producer sends on one channel
		}
	}
	t0 := time.Now()
	for k := 0; k < producers; k++ {
		go func(ch chan int) {
			for i := 0; i < per; i++ {
				ch <- i
			}
			ch <- -1
		}(chans[k])
	}
	stops := 0
	for stops < producers {
		var v int
		if sel {
			select {
			case v = <-chans[0]:
			case v = <-chans[1]:
			case v = <-chans[2]:
			case v = <-chans[3]:
			}
		} else {
			v = <-chans[0]
		}
		if v < 0 {
			stops++
		}
	}
	return time.Duration(float64(time.Since(t0)) * float64(n) / float64(per*producers))
}

func spawn(n int) time.Duration {
	var wg sync.WaitGroup
	t0 := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go wg.Done()
	}
	wg.Wait()
	return time.Since(t0)
}

func rss() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func parked(n int) int64 {
	ch := make(chan int)
	var started sync.WaitGroup
	runtime.GC()
	before := rss()
	started.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			<-ch
		}()
	}
	started.Wait()
	runtime.GC()
	return rss() - before
}

// calibrate mirrors benchmarks/measure.py: warm up with n0 ops, grow while too short, then
// repeat runs sized to take about target seconds and keep the fastest.
func calibrate(timed func(int) time.Duration, target float64, repeat int) (int, float64) {
	n := 200
	elapsed := timed(n).Seconds()
	for elapsed < target/20 && n < 20_000_000 {
		n *= 10
		elapsed = timed(n).Seconds()
	}
	if elapsed < 1e-9 {
		elapsed = 1e-9
	}
	n = int(float64(n) * target / elapsed)
	if n < 200 {
		n = 200
	}
	if n > 20_000_000 {
		n = 20_000_000
	}
	best := timed(n).Seconds()
	for i := 1; i < repeat; i++ {
		if s := timed(n).Seconds(); s < best {
			best = s
		}
	}
	return n, best
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gobench SHAPE PARAMS_JSON")
		os.Exit(2)
	}
	shape := os.Args[1]
	var params struct {
		TargetS float64 `json:"target_s"`
		Repeat  int     `json:"repeat"`
		Buffer  int     `json:"buffer"`
		Count   int     `json:"count"`
	}
	if err := json.Unmarshal([]byte(os.Args[2]), &params); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if shape == "memory" {
		grown := parked(params.Count)
		fmt.Printf(`{"value": %g, "unit": "bytes", "n": %d}`+"\n", float64(grown)/float64(params.Count), params.Count)
		return
	}
	var timed func(int) time.Duration
	switch shape {
	case "pingpong":
		timed = pingpong
	case "oneway", "balanced", "bursty", "jitter":
		timed = func(n int) time.Duration { return transfer(n, params.Buffer, shape) }
	case "pool":
		timed = func(n int) time.Duration { return pool(n, params.Buffer) }
	case "fanin":
		timed = func(n int) time.Duration { return manyToOne(n, false) }
	case "select":
		timed = func(n int) time.Duration { return manyToOne(n, true) }
	case "spawn":
		timed = spawn
	default:
		fmt.Printf(`{"unsupported": "unknown shape %s"}`+"\n", shape)
		return
	}
	n, seconds := calibrate(timed, params.TargetS, params.Repeat)
	fmt.Printf(`{"value": %g, "unit": "ns", "n": %d, "seconds": %g}`+"\n", seconds*1e9/float64(n), n, seconds)
}
