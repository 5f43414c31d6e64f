package issuer_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/status"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/issuer"
)

const statusBase = "https://issuer.example"

// statusEnv is an issuer with status lists over a store in dir; reopen
// simulates a restart on the same data.
type statusEnv struct {
	t      testing.TB
	dir    string
	master []byte
	db     *store.DB
	svc    *issuer.Service
	// onPublish is StatusConfig.OnPublish from the next open on.
	onPublish func(string)
}

func newStatusEnv(t testing.TB) *statusEnv {
	t.Helper()
	e := &statusEnv{t: t, dir: t.TempDir(), master: make([]byte, kms.MasterKeySize)}
	rand.Read(e.master)
	e.open()
	t.Cleanup(func() {
		if e.db != nil {
			e.db.Close()
		}
	})
	return e
}

func (e *statusEnv) open() {
	e.t.Helper()
	db, err := store.Open(e.dir, store.Options{NoSync: true})
	if err != nil {
		e.t.Fatal(err)
	}
	keys, err := kms.New(db.Bucket("kms"), e.master)
	if err != nil {
		e.t.Fatal(err)
	}
	svc := issuer.New(db, keys, nil)
	if err := svc.EnableStatus(db, issuer.StatusConfig{BaseURL: statusBase, OnPublish: e.onPublish}); err != nil {
		e.t.Fatal(err)
	}
	e.db, e.svc = db, svc
}

func (e *statusEnv) reopen() {
	e.t.Helper()
	if err := e.db.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func (e *statusEnv) profile(suspension bool) *issuer.Profile {
	e.t.Helper()
	p, err := e.svc.CreateProfile(context.Background(), issuer.CreateProfileRequest{Name: "HR", Suspension: suspension})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *statusEnv) issue(p *issuer.Profile, o issuer.Options) (*issuer.Issued, []map[string]any) {
	e.t.Helper()
	o.Issuer = p.ID
	out, err := e.svc.Issue(context.Background(), issuer.Request{
		Credential: map[string]any{"credentialSubject": map[string]any{"id": "did:example:holder"}}, Options: o})
	if err != nil {
		e.t.Fatal(err)
	}
	tok, err := vcjose.Parse(out.Credential.(string))
	if err != nil {
		e.t.Fatal(err)
	}
	c, _, _, err := vcjose.DecodeCredential(tok)
	if err != nil {
		e.t.Fatal(err)
	}
	return out, c.Status
}

func TestIssueAttachesStatus(t *testing.T) {
	e := newStatusEnv(t)
	t.Run("ok/revocation-only", func(t *testing.T) {
		_, st := e.issue(e.profile(false), issuer.Options{})
		if len(st) != 1 {
			t.Fatalf("credentialStatus = %v, want one entry", st)
		}
		s := st[0]
		u, _ := s["statusListCredential"].(string)
		idx, _ := s["statusListIndex"].(string)
		if s["type"] != issuer.TypeStatusEntry || s["statusPurpose"] != issuer.PurposeRevocation || s["id"] != u+"#"+idx {
			t.Errorf("entry = %v", s)
		}
		if n, err := status.ParseIndex(idx); err != nil || n >= issuer.DefaultStatusListSize {
			t.Errorf("statusListIndex %q: %v", idx, err)
		}
		if len(u) <= len(statusBase+issuer.StatusPath) || u[:len(statusBase+issuer.StatusPath)] != statusBase+issuer.StatusPath {
			t.Errorf("statusListCredential %q", u)
		}
	})
	t.Run("ok/revocation-and-suspension-share-the-index", func(t *testing.T) {
		_, st := e.issue(e.profile(true), issuer.Options{Format: string(vcjose.VCJWT)})
		if len(st) != 2 || st[0]["statusPurpose"] != issuer.PurposeRevocation || st[1]["statusPurpose"] != issuer.PurposeSuspension {
			t.Fatalf("credentialStatus = %v", st)
		}
		if st[0]["statusListIndex"] != st[1]["statusListIndex"] || st[0]["statusListCredential"] == st[1]["statusListCredential"] {
			t.Errorf("entries = %v", st)
		}
	})
	t.Run("ok/opt-out", func(t *testing.T) {
		no := false
		out, st := e.issue(e.profile(false), issuer.Options{CredentialStatus: &no})
		if len(st) != 0 {
			t.Fatalf("credentialStatus = %v, want none", st)
		}
		if _, err := e.svc.SetStatus(context.Background(), out.Record.ID, issuer.StatusChange{Purpose: issuer.PurposeRevocation, Value: true}); !errors.Is(err, issuer.ErrNoStatusPurpose) {
			t.Errorf("SetStatus on a credential without status = %v, want ErrNoStatusPurpose", err)
		}
	})
	t.Run("fail/caller-sets-credentialStatus", func(t *testing.T) {
		p := e.profile(false)
		_, err := e.svc.Issue(context.Background(), issuer.Request{Credential: map[string]any{
			"credentialSubject": map[string]any{"id": "did:example:h"},
			"credentialStatus":  map[string]any{"type": "X"},
		}, Options: issuer.Options{Issuer: p.ID}})
		if !errors.Is(err, issuer.ErrInvalidRequest) {
			t.Errorf("err = %v, want ErrInvalidRequest", err)
		}
	})
	t.Run("fail/duplicate-credential-id", func(t *testing.T) {
		p := e.profile(false)
		req := issuer.Request{Credential: map[string]any{"id": "urn:uuid:6f1c0c0e-0000-4000-8000-000000000001", "credentialSubject": map[string]any{"id": "did:example:h"}},
			Options: issuer.Options{Issuer: p.ID}}
		if _, err := e.svc.Issue(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Issue(context.Background(), req); !errors.Is(err, issuer.ErrDuplicateCredentialID) {
			t.Errorf("second issue = %v, want ErrDuplicateCredentialID", err)
		}
	})
}

// TestIndexesUniqueAcrossRestarts issues concurrently, restarts, issues
// again: no index repeats, and every credential's status is recorded.
func TestIndexesUniqueAcrossRestarts(t *testing.T) {
	e := newStatusEnv(t)
	p := e.profile(false)
	seen := map[string]string{} // list#index → credential id
	var mu sync.Mutex
	round := func(n int) {
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range n / 4 {
					out, st := e.issue(p, issuer.Options{})
					key := st[0]["statusListCredential"].(string) + "#" + st[0]["statusListIndex"].(string)
					mu.Lock()
					if prev, dup := seen[key]; dup {
						t.Errorf("index %s handed out to %s and %s", key, prev, out.Record.ID)
					}
					seen[key] = out.Record.ID
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	round(200)
	e.reopen()
	round(200)
	e.reopen()
	round(40)
	if len(seen) != 440 {
		t.Fatalf("%d distinct indexes, want 440", len(seen))
	}
	for key, id := range seen {
		cs, err := e.svc.Status(id)
		if err != nil {
			t.Fatalf("Status(%s): %v", id, err)
		}
		if got := cs.Lists[issuer.PurposeRevocation] + "#" + strconv.Itoa(cs.Index); got != key {
			t.Fatalf("recorded %s, credential says %s", got, key)
		}
	}
}

func TestSetStatus(t *testing.T) {
	e := newStatusEnv(t)
	both, revOnly := e.profile(true), e.profile(false)
	ctx := context.Background()
	rev := func(v bool) issuer.StatusChange {
		return issuer.StatusChange{Purpose: issuer.PurposeRevocation, Value: v}
	}
	sus := func(v bool) issuer.StatusChange {
		return issuer.StatusChange{Purpose: issuer.PurposeSuspension, Value: v}
	}
	for _, tc := range []struct {
		name      string
		profile   *issuer.Profile
		before    []issuer.StatusChange
		change    issuer.StatusChange
		err       error
		revoked   bool
		suspended bool
	}{
		{"ok/revoke", revOnly, nil, rev(true), nil, true, false},
		{"ok/revoke-twice", revOnly, []issuer.StatusChange{rev(true)}, rev(true), nil, true, false},
		{"ok/suspend", both, nil, sus(true), nil, false, true},
		{"ok/reinstate", both, []issuer.StatusChange{sus(true)}, sus(false), nil, false, false},
		{"ok/reinstate-not-suspended", both, nil, sus(false), nil, false, false},
		{"ok/revoke-suspended", both, []issuer.StatusChange{sus(true)}, rev(true), nil, true, true},
		{"fail/unrevoke", revOnly, []issuer.StatusChange{rev(true)}, rev(false), issuer.ErrRevocationPermanent, true, false},
		{"fail/reinstate-revoked", both, []issuer.StatusChange{sus(true), rev(true)}, sus(false), issuer.ErrRevocationPermanent, true, true},
		{"fail/reinstate-revoked-not-suspended", both, []issuer.StatusChange{rev(true)}, sus(false), issuer.ErrRevocationPermanent, true, false},
		{"fail/suspend-without-suspension-list", revOnly, nil, sus(true), issuer.ErrNoStatusPurpose, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := e.issue(tc.profile, issuer.Options{})
			id := out.Record.ID
			for _, c := range tc.before {
				if _, err := e.svc.SetStatus(ctx, id, c); err != nil {
					t.Fatal(err)
				}
			}
			_, err := e.svc.SetStatus(ctx, id, tc.change)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("SetStatus = %v, want %v", err, tc.err)
			}
			cs, err := e.svc.Status(id)
			if err != nil {
				t.Fatal(err)
			}
			if cs.Revoked != tc.revoked || cs.Suspended != tc.suspended {
				t.Errorf("revoked %v suspended %v, want %v %v", cs.Revoked, cs.Suspended, tc.revoked, tc.suspended)
			}
		})
	}
	t.Run("fail/unknown-credential", func(t *testing.T) {
		if _, err := e.svc.SetStatus(ctx, "urn:uuid:nope", rev(true)); !errors.Is(err, issuer.ErrCredentialNotFound) {
			t.Errorf("err = %v, want ErrCredentialNotFound", err)
		}
		if _, err := e.svc.Status("urn:uuid:nope"); !errors.Is(err, issuer.ErrCredentialNotFound) {
			t.Errorf("Status err = %v, want ErrCredentialNotFound", err)
		}
	})
}

// listBits reads the published list of url (its bitstring).
func listBits(t *testing.T, svc *issuer.Service, url string) (*issuer.PublishedList, *status.List) {
	t.Helper()
	id := url[len(statusBase+issuer.StatusPath):]
	pub, err := svc.StatusList(id)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := vcjose.Parse(pub.Credential)
	if err != nil {
		t.Fatal(err)
	}
	c, _, f, err := vcjose.DecodeCredential(tok)
	if err != nil {
		t.Fatal(err)
	}
	if f != issuer.StatusListFormat || c.ID != url || !c.HasType(issuer.TypeStatusListCredential) || c.Issuer != pub.Issuer {
		t.Fatalf("list credential: format %s id %s types %v", f, c.ID, c.Types)
	}
	l, err := status.Decode(c.Subjects[0]["encodedList"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return pub, l
}

func TestPublish(t *testing.T) {
	e := newStatusEnv(t)
	p := e.profile(false)
	ctx := context.Background()
	out, st := e.issue(p, issuer.Options{})
	url := st[0]["statusListCredential"].(string)
	idx, _ := strconv.Atoi(st[0]["statusListIndex"].(string))

	v1, l := listBits(t, e.svc, url)
	if v1.Version != 1 || l.Len() != issuer.DefaultStatusListSize {
		t.Fatalf("first version %d with %d entries", v1.Version, l.Len())
	}
	if n, err := e.svc.PublishStatusLists(ctx); err != nil || n != 0 {
		t.Fatalf("publish with nothing changed = %d, %v", n, err)
	}
	if _, err := e.svc.SetStatus(ctx, out.Record.ID, issuer.StatusChange{Purpose: issuer.PurposeRevocation, Value: true}); err != nil {
		t.Fatal(err)
	}
	// Not yet published: verifiers still see version 1 until the next round.
	if v, _ := listBits(t, e.svc, url); v.Version != 1 {
		t.Fatalf("version %d before the publish round", v.Version)
	}
	if n, err := e.svc.PublishStatusLists(ctx); err != nil || n != 1 {
		t.Fatalf("publish = %d, %v", n, err)
	}
	v2, l := listBits(t, e.svc, url)
	if set, _ := l.Get(idx); v2.Version != 2 || !set || v2.Hash == v1.Hash || v2.ETag() == v1.ETag() {
		t.Fatalf("version %d, bit %d set %v", v2.Version, idx, set)
	}

	// A change acknowledged but not published before a crash is published
	// after the restart.
	out2, st2 := e.issue(p, issuer.Options{})
	idx2, _ := strconv.Atoi(st2[0]["statusListIndex"].(string))
	if _, err := e.svc.SetStatus(ctx, out2.Record.ID, issuer.StatusChange{Purpose: issuer.PurposeRevocation, Value: true}); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	if n, err := e.svc.PublishStatusLists(ctx); err != nil || n != 1 {
		t.Fatalf("publish after restart = %d, %v", n, err)
	}
	v3, l := listBits(t, e.svc, url)
	a, _ := l.Get(idx)
	b, _ := l.Get(idx2)
	if v3.Version != 3 || !a || !b {
		t.Fatalf("after restart: version %d, bits %v %v", v3.Version, a, b)
	}
}

// TestOnPublish: every served version is announced once, after it is
// served (so a checker that drops its copy then reads the new one).
func TestOnPublish(t *testing.T) {
	e := newStatusEnv(t)
	var mu sync.Mutex
	var got []string
	var served []int
	e.onPublish = func(u string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, u)
		v, _ := listBits(t, e.svc, u)
		served = append(served, v.Version)
	}
	e.reopen()
	ctx := context.Background()
	p := e.profile(false)
	out, st := e.issue(p, issuer.Options{}) // opens a list: version 1
	url := st[0]["statusListCredential"].(string)
	if n, err := e.svc.PublishStatusLists(ctx); err != nil || n != 0 {
		t.Fatalf("publish with nothing changed = %d, %v", n, err)
	}
	if _, err := e.svc.SetStatus(ctx, out.Record.ID, issuer.StatusChange{Purpose: issuer.PurposeRevocation, Value: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PublishStatusLists(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != url || got[1] != url || served[0] != 1 || served[1] != 2 {
		t.Fatalf("announced %v (versions served then %v), want %s twice, versions 1 and 2", got, served, url)
	}
}

func TestRunStatusPublisher(t *testing.T) {
	e := newStatusEnv(t)
	p := e.profile(false)
	out, st := e.issue(p, issuer.Options{})
	url := st[0]["statusListCredential"].(string)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.svc.RunStatusPublisher(ctx); close(done) }()
	if _, err := e.svc.SetStatus(context.Background(), out.Record.ID, issuer.StatusChange{Purpose: issuer.PurposeRevocation, Value: true}); err != nil {
		t.Fatal(err)
	}
	// Stopping publishes what is pending (the interval is 5 s by default).
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunStatusPublisher did not return")
	}
	if v, _ := listBits(t, e.svc, url); v.Version != 2 {
		t.Errorf("version %d after the final round, want 2", v.Version)
	}
}
