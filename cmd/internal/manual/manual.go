// Package manual is the one description of a command — synopsis, what it
// does, every flag with its environment twin and default, exit codes —
// from which both its --help and its man page are written, so the two
// cannot disagree.
package manual

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// Page is a command's manual.
type Page struct {
	Name    string // the command
	Summary string // one line, for the man page's NAME
	// Synopsis lines: usage, then a few words on what each form does.
	Synopsis []Usage
	// Description paragraphs.
	Description []string
	Flags       []FlagGroup
	Sections    []Section
}

// Usage is one synopsis line.
type Usage struct{ Form, What string }

// FlagGroup is a titled list of flags ("Flags", "Flags of run").
type FlagGroup struct {
	Title string
	Flags []Flag
}

// Flag is one flag as both renderings show it.
type Flag struct {
	Name, Short, Arg, Usage, Default, Env string
}

// Section is a titled block: paragraphs, then a two-column table.
type Section struct {
	Title      string
	Paragraphs []string
	Table      [][2]string
}

// FlagsOf describes every visible flag of fs; env names a flag's
// environment twin ("" for none).
func FlagsOf(fs *pflag.FlagSet, env func(name string) string) []Flag {
	var out []Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		arg := map[string]string{"duration": "DUR", "int": "N", "int64": "N", "string": "STRING", "bool": ""}[f.Value.Type()]
		def := f.DefValue
		// A usage that says its default in words has said it already.
		if def == "false" || def == "0s" || def == "0" && arg == "DUR" || strings.Contains(f.Usage, "(default") {
			def = ""
		}
		e := ""
		if env != nil {
			e = env(f.Name)
		}
		out = append(out, Flag{Name: f.Name, Short: f.Shorthand, Arg: arg, Usage: f.Usage, Default: def, Env: e})
	})
	return out
}

// Extras is what a flag's second help line says: default and twin.
func (f Flag) Extras() string {
	var extra []string
	if f.Default != "" {
		extra = append(extra, "default "+f.Default)
	}
	if f.Env != "" {
		extra = append(extra, "env "+f.Env)
	}
	return strings.Join(extra, ", ")
}

// Spelling is how the flag is written: "-h, --help", "--zk STRING".
func (f Flag) Spelling() string {
	s := "--" + f.Name
	if f.Short != "" {
		s = "-" + f.Short + ", " + s
	}
	if f.Arg != "" {
		s += " " + f.Arg
	}
	return s
}

// Help writes the page as --help shows it.
func (p Page) Help(w io.Writer) {
	for i, u := range p.Synopsis {
		lead := "Usage: "
		if i > 0 {
			lead = "       "
		}
		line := lead + p.Name + " " + u.Form
		if u.What != "" {
			line += "\n" + strings.Repeat(" ", 11) + u.What
		}
		fmt.Fprintln(w, line)
	}
	for _, para := range p.Description {
		fmt.Fprintf(w, "\n%s\n", wrap(para, 76, ""))
	}
	for _, g := range p.Flags {
		fmt.Fprintf(w, "\n%s:\n", g.Title)
		for _, f := range g.Flags {
			fmt.Fprintf(w, "  %-26s %s\n", f.Spelling(), f.Usage)
			if extra := f.Extras(); extra != "" {
				fmt.Fprintf(w, "  %-26s (%s)\n", "", extra)
			}
		}
	}
	for _, s := range p.Sections {
		fmt.Fprintf(w, "\n%s:\n", s.Title)
		for _, row := range s.Table {
			fmt.Fprintf(w, "  %-8s %s\n", row[0], row[1])
		}
		for _, para := range s.Paragraphs {
			fmt.Fprintf(w, "%s\n", wrap(para, 76, ""))
		}
	}
}

// Roff writes the page as a man page (section 1).
func (p Page) Roff(w io.Writer, version string) {
	fmt.Fprintf(w, ".TH %s 1 \"\" \"%s %s\" \"User Commands\"\n", strings.ToUpper(p.Name), p.Name, esc(version))
	fmt.Fprintf(w, ".SH NAME\n%s \\- %s\n", p.Name, esc(p.Summary))
	fmt.Fprintln(w, ".SH SYNOPSIS")
	for _, u := range p.Synopsis {
		fmt.Fprintf(w, ".TP\n.B %s\n%s\n", esc(p.Name+" "+u.Form), esc(u.What))
	}
	fmt.Fprintln(w, ".SH DESCRIPTION")
	for _, para := range p.Description {
		fmt.Fprintf(w, ".PP\n%s\n", esc(para))
	}
	for _, g := range p.Flags {
		fmt.Fprintf(w, ".SH %s\n", esc(strings.ToUpper(g.Title)))
		for _, f := range g.Flags {
			fmt.Fprintf(w, ".TP\n.B %s\n%s\n", esc(f.Spelling()), esc(f.Usage))
			if extra := f.Extras(); extra != "" {
				fmt.Fprintf(w, ".br\n(%s)\n", esc(extra))
			}
		}
	}
	for _, s := range p.Sections {
		fmt.Fprintf(w, ".SH %s\n", esc(strings.ToUpper(s.Title)))
		for _, row := range s.Table {
			fmt.Fprintf(w, ".TP\n.B %s\n%s\n", esc(row[0]), esc(row[1]))
		}
		for _, para := range s.Paragraphs {
			fmt.Fprintf(w, ".PP\n%s\n", esc(para))
		}
	}
}

// esc keeps roff from reading text as requests or escapes.
func esc(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

// wrap fills text to width columns, keeping its own line breaks.
func wrap(text string, width int, indent string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		cur := indent
		for _, word := range strings.Fields(line) {
			if len(cur) > len(indent) && len(cur)+1+len(word) > width {
				out = append(out, cur)
				cur = indent
			}
			if len(cur) > len(indent) {
				cur += " "
			}
			cur += word
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n")
}
