package localsfn

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// TestTailBufferSerialisesCopies: the server's stderr and its drained
// stdout are written from two goroutines; the copy (Config.Log, often an
// unsynchronised bytes.Buffer) must see whole writes, one at a time. Run
// under -race, an unlocked copy fails this test.
func TestTailBufferSerialisesCopies(t *testing.T) {
	var copied bytes.Buffer
	tail := &tailBuffer{max: 64, copy: &copied}
	var wg sync.WaitGroup
	for _, line := range []string{"stderr\n", "stdout\n"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				_, _ = tail.Write([]byte(line))
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(copied.String(), "\n"), "\n")
	if len(lines) != 1000 {
		t.Fatalf("copy holds %d lines, want 1000", len(lines))
	}
	for _, l := range lines {
		if l != "stderr" && l != "stdout" {
			t.Fatalf("torn line %q", l)
		}
	}
	if n := len(tail.String()); n > 64 {
		t.Fatalf("tail keeps %d bytes, want at most 64", n)
	}
}
