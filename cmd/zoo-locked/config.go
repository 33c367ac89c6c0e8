package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/pflag"
)

// defaultConfig is the host's config file: the same KEY=value settings as
// the environment twins, so the ensemble's address is written once per
// host rather than in every crontab line.
const defaultConfig = "/etc/zoo-locked.conf"

// configFile is a parsed config file: each key's value and line.
type configFile struct {
	path   string
	values map[string]string
	lines  map[string]int
}

// loadConfig reads $ZOOLOCKED_CONFIG, which must exist, else the default
// file, which may not. A file that anyone but its owner or root may write
// is refused: it decides which ensemble a root cron job trusts.
func loadConfig(getenv func(string) string, known func(key string) bool) (*configFile, error) {
	path, required := getenv("ZOOLOCKED_CONFIG"), true
	if path == "" {
		path, required = defaultConfig, false
	}
	cf := &configFile{path: path, values: map[string]string{}, lines: map[string]int{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return cf, nil
	}
	if err != nil {
		return nil, usageErr("config file: %v (ZOOLOCKED_CONFIG names it)", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, usageErr("config file: %v", err)
	}
	owner := info.Sys().(*syscall.Stat_t).Uid
	if info.Mode().Perm()&0o022 != 0 || (owner != 0 && int(owner) != os.Geteuid()) {
		return nil, usageErr("config file %s may be written by others (mode %04o, owner uid %d): it decides which ensemble this host's jobs trust; "+
			"make it its owner's alone: chmod go-w %s (and chown root if another user owns it)", path, info.Mode().Perm(), owner, path)
	}
	if err := cf.parse(f, known); err != nil {
		return nil, err
	}
	return cf, nil
}

func (cf *configFile) parse(r io.Reader, known func(string) bool) error {
	s := bufio.NewScanner(r)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case !ok || key == "":
			return usageErr("%s:%d: want KEY=value, got %q", cf.path, n, line)
		case !known(key):
			return usageErr("%s:%d: unknown key %s (the keys are the flags' environment twins, e.g. ZOOLOCKED_ZK)", cf.path, n, key)
		}
		if uq, err := strconv.Unquote(value); err == nil && (strings.HasPrefix(value, `"`) || strings.HasPrefix(value, "'")) {
			value = uq
		} else if len(value) >= 2 && value[0] == '\'' && value[len(value)-1] == '\'' {
			value = value[1 : len(value)-1]
		}
		cf.values[key], cf.lines[key] = value, n
	}
	return s.Err()
}

// source says where a flag's value came from, for `zoo-locked config`.
type source struct {
	flag, value, from string
}

// printConfig writes each setting in effect and where it came from.
func printConfig(w io.Writer, sources []source) int {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range sources {
		value := s.value
		if value == "" {
			value = "(not set)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", envName(s.flag), value, s.from)
	}
	tw.Flush()
	return 0
}

// applySettings fills every flag not given on the command line from its
// environment twin, else the config file, and says where each came from.
func applySettings(fs *pflag.FlagSet, getenv func(string) string, cf *configFile) ([]source, error) {
	var sources []source
	var firstErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if noEnvTwin[f.Name] || firstErr != nil {
			return
		}
		key := envName(f.Name)
		switch {
		case fs.Changed(f.Name):
			sources = append(sources, source{f.Name, f.Value.String(), "flag --" + f.Name})
		case getenv(key) != "":
			if err := fs.Set(f.Name, getenv(key)); err != nil {
				firstErr = usageErr("%s=%q: %v", key, getenv(key), err)
			}
			sources = append(sources, source{f.Name, f.Value.String(), "environment"})
		case cf.values[key] != "":
			if err := fs.Set(f.Name, cf.values[key]); err != nil {
				firstErr = usageErr("%s:%d: %s=%q: %v", cf.path, cf.lines[key], key, cf.values[key], err)
			}
			sources = append(sources, source{f.Name, f.Value.String(), fmt.Sprintf("%s:%d", cf.path, cf.lines[key])})
		default:
			sources = append(sources, source{f.Name, f.DefValue, "default"})
		}
	})
	return sources, firstErr
}
