// Command promlint checks a Prometheus text exposition (format 0.0.4) read
// from stdin the way `promtool check metrics` does: it parses it with the
// official parser (prometheus/common expfmt) and lints it with promlint
// (client_golang). It prints one problem per line and exits 1 when there is
// any, 2 when the text does not parse, 0 when it is clean.
package main

import (
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

func main() {
	problems, err := promlint.New(os.Stdin).Lint()
	if err != nil {
		fmt.Fprintf(os.Stderr, "parse error: %v\n", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Printf("%s: %s\n", p.Metric, p.Text)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}
