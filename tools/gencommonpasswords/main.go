// Command gencommonpasswords writes the common-password blocklist used by
// occonnect/domain (domain/commonpasswords.txt) to standard output.
//
// The source is the "passwords" frequency list shipped with
// github.com/trustelem/zxcvbn v1.0.1 (package frequency), a Go port of
// Dropbox's zxcvbn. That list is derived from the Xato 10M leaked-passwords
// corpus and is ordered by frequency, most common first.
//
// The output has one password per line, lower-cased, deduplicated, most
// common first; entries of any length are kept (the password policy decides
// on length separately). Empty entries and entries containing a line break
// are skipped because they cannot be represented in a line-oriented file.
//
// This is a separate module so that the main occonnect module does not depend
// on zxcvbn. Regenerate with:
//
//	cd tools/gencommonpasswords && go run . > ../../domain/commonpasswords.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/trustelem/zxcvbn/frequency"
)

// listName is the key of the leaked-password list in frequency.FrequencyLists.
const listName = "passwords"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gencommonpasswords:", err)
		os.Exit(1)
	}
}

func run() error {
	src, ok := frequency.FrequencyLists[listName]
	if !ok {
		return fmt.Errorf("frequency list %q not found", listName)
	}

	w := bufio.NewWriter(os.Stdout)
	seen := make(map[string]struct{}, len(src))
	n := 0
	for _, p := range src {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" || strings.ContainsAny(p, "\r\n") {
			continue
		}
		if _, dup := seen[p]; dup {
			continue
		}
		seen[p] = struct{}{}
		if _, err := fmt.Fprintln(w, p); err != nil {
			return err
		}
		n++
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gencommonpasswords: wrote %d entries (from %d in %q)\n", n, len(src), listName)
	return nil
}
