package compose

import (
	"fmt"
	"strconv"
	"strings"
)

// fargateSize is one cpu setting of Fargate and the memory sizes it allows.
type fargateSize struct {
	cpu                 int
	memMin, memMax, inc int
}

// fargateSizes lists the task sizes Fargate accepts (Linux), smallest first.
var fargateSizes = []fargateSize{
	{256, 512, 512, 0}, // 256 takes 512, 1024 or 2048: listed below
	{512, 1024, 4096, 1024},
	{1024, 2048, 8192, 1024},
	{2048, 4096, 16384, 1024},
	{4096, 8192, 30720, 1024},
	{8192, 16384, 61440, 4096},
	{16384, 32768, 122880, 8192},
}

// memories returns the memory sizes a cpu setting allows, smallest first.
func (s fargateSize) memories() []int {
	if s.cpu == 256 {
		return []int{512, 1024, 2048}
	}
	var out []int
	for m := s.memMin; m <= s.memMax; m += s.inc {
		out = append(out, m)
	}
	return out
}

func fargateCPUs() []int {
	out := make([]int, len(fargateSizes))
	for i, s := range fargateSizes {
		out[i] = s.cpu
	}
	return out
}

func sizeFor(cpu int) (fargateSize, bool) {
	for _, s := range fargateSizes {
		if s.cpu == cpu {
			return s, true
		}
	}
	return fargateSize{}, false
}

// ValidFargate reports whether cpu and memory form a Fargate task size.
func ValidFargate(cpu, memory int) bool {
	s, ok := sizeFor(cpu)
	if !ok {
		return false
	}
	for _, m := range s.memories() {
		if m == memory {
			return true
		}
	}
	return false
}

// smallestFargate picks the smallest task size holding needCPU and needMem,
// keeping cpu or memory fixed where the request set them (0 means unset).
func smallestFargate(fixedCPU, fixedMem, needCPU, needMem int) (int, int, bool) {
	for _, s := range fargateSizes {
		if fixedCPU != 0 && s.cpu != fixedCPU || s.cpu < needCPU {
			continue
		}
		for _, m := range s.memories() {
			if fixedMem != 0 && m != fixedMem || m < needMem {
				continue
			}
			return s.cpu, m, true
		}
	}
	return 0, 0, false
}

func describeMemories(cpu int) string {
	s, _ := sizeFor(cpu)
	ms := s.memories()
	if len(ms) <= 3 {
		return joinInts(ms)
	}
	return fmt.Sprintf("%d to %d in steps of %d", s.memMin, s.memMax, s.inc)
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ", ")
}
