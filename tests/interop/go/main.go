// x509source drives go-spiffe v2's workloadapi.NewX509Source against an
// edge-runtime Workload API socket: it waits for N distinct X509-SVIDs
// (initial + rotations), verifies each chain against the bundle from the
// same source with go-spiffe's x509svid.Verify, and prints one JSON line
// per SVID. With -jwt AUD it also fetches and validates a JWT-SVID through
// the JWT bundle (jwtsvid.ParseAndValidate).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

func main() {
	addr := flag.String("addr", "", "unix:///path/to/socket")
	n := flag.Int("n", 1, "distinct SVIDs to wait for")
	aud := flag.String("jwt", "", "also fetch and validate a JWT-SVID for this audience")
	timeout := flag.Duration("timeout", 30*time.Second, "overall timeout")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	out := json.NewEncoder(os.Stdout)
	fail := func(err error) {
		_ = out.Encode(map[string]string{"error": err.Error()})
		os.Exit(1)
	}

	source, err := workloadapi.NewX509Source(ctx, workloadapi.WithClientOptions(workloadapi.WithAddr(*addr)))
	if err != nil {
		fail(err)
	}
	defer source.Close()

	seen := map[string]bool{}
	for len(seen) < *n {
		svid, err := source.GetX509SVID()
		if err != nil {
			fail(err)
		}
		serial := svid.Certificates[0].SerialNumber.String()
		if !seen[serial] {
			seen[serial] = true
			id, _, err := x509svid.Verify(svid.Certificates, source)
			if err != nil {
				fail(fmt.Errorf("verify: %w", err))
			}
			_ = out.Encode(map[string]any{"spiffe_id": id.String(), "serial": serial, "chain": len(svid.Certificates)})
		}
		select {
		case <-ctx.Done():
			fail(ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}

	if *aud != "" {
		client, err := workloadapi.New(ctx, workloadapi.WithAddr(*addr))
		if err != nil {
			fail(err)
		}
		defer client.Close()
		svid, err := client.FetchJWTSVID(ctx, jwtsvid.Params{Audience: *aud})
		if err != nil {
			fail(err)
		}
		bundles, err := client.FetchJWTBundles(ctx)
		if err != nil {
			fail(err)
		}
		parsed, err := jwtsvid.ParseAndValidate(svid.Marshal(), bundles, []string{*aud})
		if err != nil {
			fail(fmt.Errorf("jwt validate: %w", err))
		}
		if _, err := client.ValidateJWTSVID(ctx, svid.Marshal(), *aud); err != nil {
			fail(fmt.Errorf("ValidateJWTSVID: %w", err))
		}
		_ = out.Encode(map[string]any{"jwt_spiffe_id": parsed.ID.String()})
	}
}
