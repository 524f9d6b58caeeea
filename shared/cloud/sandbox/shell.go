package sandbox

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/compose"
)

// A job's command runs in a tiny interpreter, so that tests and local
// runs see real output and exit codes. It knows echo, exit, sleep,
// printenv, true and false; any other command prints that it ran and
// succeeds. It runs at once: each line records when, after the container
// started, it is written, and sleeps only move that time on.

// script is what a job's command does.
type script struct {
	lines []line
	// took is how long it runs once its container has started.
	took time.Duration
	exit int
}

type line struct {
	at   time.Duration
	text string
}

// simple is one simple command: its words with quotes removed, the
// operator that joins it to the command before ("", ";", "&&" or "||"),
// and its text as written, for commands the interpreter does not know.
type simple struct {
	args []string
	op   string
	text string
}

// shells run a script given as ["sh", "-c", script].
var shells = map[string]bool{"sh": true, "/bin/sh": true, "bash": true, "/bin/bash": true}

// longest bounds a sleep (sleep infinity), far beyond any job's timeout.
const longest = 100 * 365 * 24 * time.Hour

// interpret runs a command in exec form with the container's environment;
// a sandbox second lasts second.
func interpret(argv []string, env []compose.EnvVar, second time.Duration) script {
	sh := &shell{env: env, second: second}
	if len(argv) >= 3 && shells[argv[0]] && argv[1] == "-c" {
		cmds, ok := parse(argv[2])
		if !ok {
			sh.print("sh: 1: Syntax error: Unterminated quoted string")
			sh.exit = 2
			return sh.script
		}
		sh.list(cmds)
	} else {
		sh.exec(simple{args: argv, text: strings.Join(argv, " ")})
	}
	sh.took = sh.now
	return sh.script
}

type shell struct {
	script
	env    []compose.EnvVar
	second time.Duration
	now    time.Duration
	exited bool
}

func (sh *shell) print(text string) { sh.lines = append(sh.lines, line{at: sh.now, text: text}) }

// list runs commands as sh does: && runs the next command only after a
// success, || only after a failure; the status is the last command run's.
func (sh *shell) list(cmds []simple) {
	for _, c := range cmds {
		if c.op == "&&" && sh.exit != 0 || c.op == "||" && sh.exit == 0 {
			continue
		}
		sh.exec(c)
		if sh.exited {
			return
		}
	}
}

func (sh *shell) exec(c simple) {
	if len(c.args) == 0 {
		return
	}
	args := c.args[1:]
	switch c.args[0] {
	case "echo":
		sh.print(strings.Join(args, " "))
		sh.exit = 0
	case "true", ":":
		sh.exit = 0
	case "false":
		sh.exit = 1
	case "exit":
		sh.exited = true
		if len(args) == 0 {
			return // the last command's status
		}
		n, err := strconv.ParseUint(args[0], 10, 64)
		if err != nil {
			sh.print("sh: exit: Illegal number: " + args[0])
			sh.exit = 2
			return
		}
		sh.exit = int(n % 256)
	case "sleep":
		sh.sleep(args)
	case "printenv":
		sh.printenv(args)
	default:
		sh.print("sandbox: ran " + c.text)
		sh.exit = 0
	}
}

func (sh *shell) sleep(args []string) {
	if len(args) == 0 {
		sh.print("sleep: missing operand")
		sh.exit = 1
		return
	}
	total := 0.0
	for _, a := range args {
		secs, err := strconv.ParseFloat(a, 64)
		if a == "infinity" {
			secs, err = math.Inf(1), nil
		}
		if err != nil || secs < 0 || math.IsNaN(secs) {
			sh.print("sleep: invalid time interval '" + a + "'")
			sh.exit = 1
			return
		}
		total += secs
	}
	d := total * float64(sh.second)
	if d > float64(longest) {
		d = float64(longest)
	}
	sh.now += time.Duration(d)
	sh.exit = 0
}

// printenv prints the named variables, failing when one is unset, or
// every variable without names.
func (sh *shell) printenv(names []string) {
	value := func(v compose.EnvVar) string {
		if v.Value == nil {
			return ""
		}
		return *v.Value
	}
	sh.exit = 0
	if len(names) == 0 {
		for _, v := range sh.env {
			sh.print(v.Name + "=" + value(v))
		}
		return
	}
	for _, name := range names {
		found := false
		for _, v := range sh.env {
			if v.Name == name {
				sh.print(value(v))
				found = true
				break
			}
		}
		if !found {
			sh.exit = 1
		}
	}
}

// parse splits a shell script into simple commands joined by ";", newlines,
// "&&" and "||", removing one level of quotes from each word; ok is false
// when a quote is left open.
func parse(src string) (cmds []simple, ok bool) {
	var (
		cur    = simple{}
		start  = -1 // where cur's text starts
		end    int  // and ends
		word   strings.Builder
		inWord bool
		quote  byte
	)
	endWord := func() {
		if inWord {
			cur.args = append(cur.args, word.String())
			word.Reset()
			inWord = false
		}
	}
	endCommand := func(op string) {
		endWord()
		if len(cur.args) > 0 {
			cur.text = src[start:end]
			cmds = append(cmds, cur)
		}
		cur, start = simple{op: op}, -1
	}
	add := func(i int, b byte) {
		if !inWord && start < 0 {
			start = i
		}
		inWord = true
		word.WriteByte(b)
		end = i + 1
	}
	for i := 0; i < len(src); i++ {
		b := src[i]
		switch {
		case quote == '\'':
			if b == '\'' {
				quote, end = 0, i+1
				continue
			}
			add(i, b)
		case quote == '"':
			switch {
			case b == '"':
				quote, end = 0, i+1
			case b == '\\' && i+1 < len(src) && strings.IndexByte(`"\$`+"`", src[i+1]) >= 0:
				i++
				add(i, src[i])
			default:
				add(i, b)
			}
		case b == '\'' || b == '"':
			if start < 0 {
				start = i
			}
			quote, inWord = b, true // "" is a word
		case b == '\\' && i+1 < len(src):
			if start < 0 {
				start = i
			}
			i++
			add(i, src[i])
		case b == ';' || b == '\n':
			endCommand(";")
		case (b == '&' || b == '|') && i+1 < len(src) && src[i+1] == b:
			endCommand(src[i : i+2])
			i++
		case b == '#' && !inWord:
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
		case b == ' ' || b == '\t' || b == '\r':
			endWord()
		default:
			add(i, b)
		}
	}
	if quote != 0 {
		return nil, false
	}
	endCommand("")
	return cmds, true
}
