package wallet

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
)

var pass = []byte("correct horse battery staple")

// testKDF is the floor: valid for Open, and cheap enough for many wallets.
func testKDF(t testing.TB) KDFParams {
	t.Helper()
	salt := make([]byte, saltSize)
	rand.Read(salt)
	return KDFParams{Alg: "argon2id", Time: MinArgonTime, MemoryKiB: MinArgonMemoryKiB, Threads: 1, Salt: salt}
}

func newWallet(t testing.TB) (*Wallet, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "wallet")
	w, err := initWith(dir, pass, testKDF(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, dir
}

// issuer signs test credentials with a did:key Ed25519 key from a kms of its own.
type issuer struct {
	did, kid string
	km       *kms.Manager
	keyID    string
}

func newIssuer(t testing.TB) *issuer {
	t.Helper()
	db, err := store.Open("", store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	km, err := kms.New(db.Bucket("keys"), bytes.Repeat([]byte{7}, kms.MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	id, pub, err := km.Create(kms.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	d, err := didkey.New(pub)
	if err != nil {
		t.Fatal(err)
	}
	return &issuer{did: d, kid: d + "#" + strings.TrimPrefix(d, "did:key:"), km: km, keyID: id}
}

func (is *issuer) issue(t testing.TB, subject string, claims map[string]any, mod func(doc map[string]any)) string {
	t.Helper()
	subj := map[string]any{"id": subject}
	for k, v := range claims {
		subj[k] = v
	}
	doc := map[string]any{
		"@context":          []any{vc.ContextV1},
		"id":                "urn:uuid:" + hex.EncodeToString(randBytes(8)),
		"type":              []any{vc.TypeCredential, "EmployeeCredential"},
		"issuer":            is.did,
		"issuanceDate":      vc.FormatDateTime(time.Now().Add(-time.Hour)),
		"credentialSubject": subj,
	}
	if mod != nil {
		mod(doc)
	}
	c, err := vc.ParseCredential(doc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := is.km.Signer(is.keyID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := vcjose.SignCredential(c, vcjose.JWTVCJSON, s, is.kid)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// hashTree fingerprints every name, mode and byte under dir.
func hashTree(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s|%v|%d\n", rel, fi.Mode(), fi.Size())
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestInitOpenRoundTrip(t *testing.T) {
	w, dir := newWallet(t)
	holder, err := w.CreateDID(kms.Ed25519, "key")
	if err != nil {
		t.Fatal(err)
	}
	jwkHolder, err := w.CreateDID(kms.P256, "jwk")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(holder, "did:key:z6Mk") || !strings.HasPrefix(jwkHolder, "did:jwk:") {
		t.Fatalf("DIDs %s %s", holder, jwkHolder)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("wallet dir mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(filepath.Join(dir, HeaderFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("header mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	p, err := KDF(dir)
	if err != nil || p.Time != MinArgonTime || p.MemoryKiB != MinArgonMemoryKiB || p.Threads != 1 || len(p.Salt) != saltSize {
		t.Fatalf("recorded KDF %+v, %v", p, err)
	}

	w2, err := Open(dir, pass)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	dids, err := w2.DIDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(dids) != 2 || dids[0].DID != holder || dids[1].DID != jwkHolder {
		t.Fatalf("DIDs after reopen: %+v", dids)
	}
	want := []DIDEntry{
		{DID: holder, Method: "key", KeyType: kms.Ed25519, VerificationMethod: holder + "#" + strings.TrimPrefix(holder, "did:key:")},
		{DID: jwkHolder, Method: "jwk", KeyType: kms.P256, VerificationMethod: jwkHolder + "#0"},
	}
	for i, d := range dids {
		if d.Method != want[i].Method || d.KeyType != want[i].KeyType || d.VerificationMethod != want[i].VerificationMethod || d.KeyID == "" {
			t.Errorf("DID %d = %+v, want %+v", i, d, want[i])
		}
		if _, err := w2.kms.Signer(d.KeyID); err != nil {
			t.Errorf("key of %s after reopen: %v", d.DID, err)
		}
	}
}

func TestCreateDIDRefusals(t *testing.T) {
	w, _ := newWallet(t)
	for name, tc := range map[string]struct {
		kt     kms.KeyType
		method string
	}{
		"fail/secp256k1":  {kms.Secp256k1, "key"},
		"fail/rsa":        {kms.KeyType("RSA"), "key"},
		"fail/method-web": {kms.Ed25519, "web"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := w.CreateDID(tc.kt, tc.method); !errors.Is(err, ErrUnsupported) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
		})
	}
	if _, err := w.CreateDID(kms.Ed25519, ""); err != nil {
		t.Fatalf("default method: %v", err)
	}
}

func TestWrongPassphraseChangesNothing(t *testing.T) {
	w, dir := newWallet(t)
	holder, err := w.CreateDID(kms.Ed25519, "key")
	if err != nil {
		t.Fatal(err)
	}
	is := newIssuer(t)
	if _, err := w.Receive(context.Background(), []byte(is.issue(t, holder, nil, nil)), nil, false); err != nil {
		t.Fatal(err)
	}
	w.Close()
	before := hashTree(t, dir)

	for name, pw := range map[string][]byte{
		"fail/wrong":       []byte("correct horse battery stapler"),
		"fail/prefix":      pass[:len(pass)-1],
		"fail/one-bit-off": append(append([]byte{}, pass[:len(pass)-1]...), pass[len(pass)-1]^1),
	} {
		t.Run(name, func(t *testing.T) {
			w, err := Open(dir, pw)
			if !errors.Is(err, ErrWrongPassphrase) {
				if w != nil {
					w.Close()
				}
				t.Fatalf("err = %v, want ErrWrongPassphrase", err)
			}
		})
	}
	if _, err := Open(dir, nil); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("empty passphrase: %v", err)
	}
	if after := hashTree(t, dir); after != before {
		t.Fatal("the wallet directory changed after failed opens")
	}
	w2, err := Open(dir, pass)
	if err != nil {
		t.Fatalf("right passphrase after failed attempts: %v", err)
	}
	defer w2.Close()
	if l, err := w2.List(); err != nil || len(l) != 1 {
		t.Fatalf("List = %d, %v", len(l), err)
	}
}

func TestInitTwice(t *testing.T) {
	w, dir := newWallet(t)
	if _, err := w.CreateDID(kms.Ed25519, "key"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	before := hashTree(t, dir)
	for name, pw := range map[string][]byte{"fail/same-passphrase": pass, "fail/other-passphrase": []byte("other")} {
		t.Run(name, func(t *testing.T) {
			if w, err := initWith(dir, pw, testKDF(t)); !errors.Is(err, ErrExists) {
				if w != nil {
					w.Close()
				}
				t.Fatalf("err = %v, want ErrExists", err)
			}
		})
	}
	if hashTree(t, dir) != before {
		t.Fatal("a second init changed the wallet")
	}

	t.Run("fail/data-without-header", func(t *testing.T) {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "data"), 0o700)
		os.WriteFile(filepath.Join(dir, "data", "MANIFEST"), []byte("x"), 0o600)
		if _, err := initWith(dir, pass, testKDF(t)); !errors.Is(err, ErrExists) {
			t.Fatalf("err = %v, want ErrExists", err)
		}
	})
}

func TestOpenRefusals(t *testing.T) {
	good := func(t *testing.T) string {
		w, dir := newWallet(t)
		w.Close()
		return dir
	}
	edit := func(f func(h map[string]any)) func(t *testing.T) string {
		return func(t *testing.T) string {
			dir := good(t)
			p := filepath.Join(dir, HeaderFile)
			raw, _ := os.ReadFile(p)
			var h map[string]any
			json.Unmarshal(raw, &h)
			f(h)
			raw, _ = json.Marshal(h)
			os.WriteFile(p, raw, 0o600)
			return dir
		}
	}
	kdf := func(k string, v any) func(t *testing.T) string {
		return edit(func(h map[string]any) { h["kdf"].(map[string]any)[k] = v })
	}
	for name, tc := range map[string]struct {
		dir  func(t *testing.T) string
		want error
	}{
		"fail/no-wallet":     {func(t *testing.T) string { return t.TempDir() }, ErrNotInitialized},
		"fail/format":        {edit(func(h map[string]any) { h["format"] = "other" }), ErrCorrupt},
		"fail/version":       {edit(func(h map[string]any) { h["version"] = 2 }), ErrCorrupt},
		"fail/key-missing":   {edit(func(h map[string]any) { delete(h, "wrappedKey") }), ErrCorrupt},
		"fail/key-truncated": {edit(func(h map[string]any) { h["wrappedKey"] = h["wrappedKey"].(string)[:40] }), ErrCorrupt},
		"fail/kdf-alg":       {kdf("alg", "scrypt"), ErrCorrupt},
		"fail/time-below":    {kdf("time", 1), ErrCorrupt},
		"fail/memory-below":  {kdf("memoryKiB", 1024), ErrCorrupt},
		"fail/memory-huge":   {kdf("memoryKiB", 4<<20), ErrCorrupt},
		"fail/threads-zero":  {kdf("threads", 0), ErrCorrupt},
		"fail/data-missing":  {func(t *testing.T) string { d := good(t); os.RemoveAll(filepath.Join(d, "data")); return d }, ErrCorrupt},
		"fail/time-raised":   {kdf("time", MinArgonTime+1), ErrWrongPassphrase},
		"fail/salt-changed":  {kdf("salt", "AAAAAAAAAAAAAAAAAAAAAA=="), ErrWrongPassphrase},
		"fail/duplicate-key": {func(t *testing.T) string {
			d := good(t)
			os.WriteFile(filepath.Join(d, HeaderFile), []byte(`{"format":"cflow-wallet","format":"x"}`), 0o600)
			return d
		}, ErrCorrupt},
		"fail/header-too-long": {func(t *testing.T) string {
			d := good(t)
			os.WriteFile(filepath.Join(d, HeaderFile), bytes.Repeat([]byte(" "), maxHeaderBytes+1), 0o600)
			return d
		}, ErrCorrupt},
	} {
		t.Run(name, func(t *testing.T) {
			w, err := Open(tc.dir(t), pass)
			if !errors.Is(err, tc.want) {
				if w != nil {
					w.Close()
				}
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestOpenMissingManifest: a wallet whose data/MANIFEST went missing is
// refused with ErrCorrupt and left byte for byte as it was (badger would
// open it empty and delete the tables holding the keys); with the MANIFEST
// back it opens whole.
func TestOpenMissingManifest(t *testing.T) {
	w, dir := newWallet(t)
	holder, err := w.CreateDID(kms.Ed25519, "key")
	if err != nil {
		t.Fatal(err)
	}
	w.Close() // flushes the keys into a table
	man := filepath.Join(dir, "data", "MANIFEST")
	saved, err := os.ReadFile(man)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(man)
	before := hashTree(t, dir)
	w2, err := Open(dir, pass)
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, store.ErrCorrupt) {
		if w2 != nil {
			w2.Close()
		}
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	for _, want := range []string{"no MANIFEST", "nothing was changed", filepath.Join(dir, "data")} {
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("message %q does not say %q on one line", err, want)
		}
	}
	if after := hashTree(t, dir); after != before {
		t.Fatal("a refused Open changed the wallet's files")
	}
	os.WriteFile(man, saved, 0o600)
	w2, err = Open(dir, pass)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if ds, err := w2.DIDs(); err != nil || len(ds) != 1 || ds[0].DID != holder {
		t.Fatalf("DIDs after restoring the MANIFEST = %v, %v; want %s", ds, err, holder)
	}
}

// TestOpenConcurrent: commands that find the wallet in use wait their
// turn instead of failing (eight parallel `cflow wallet did create` used to
// fail half the time with badger's lock message).
func TestOpenConcurrent(t *testing.T) {
	first, dir := newWallet(t)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			w, err := Open(dir, pass)
			if err != nil {
				errs <- err
				return
			}
			_, err = w.CreateDID(kms.Ed25519, "key")
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			errs <- err
		}()
	}
	time.Sleep(300 * time.Millisecond) // all of them wait on the first
	first.Close()
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	w, err := Open(dir, pass)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if ds, err := w.DIDs(); err != nil || len(ds) != n {
		t.Fatalf("%d DIDs, %v; want %d", len(ds), err, n)
	}
}

// TestOpenInUse: a wallet held past lockWait gives ErrInUse on one line.
func TestOpenInUse(t *testing.T) {
	w, dir := newWallet(t)
	defer w.Close()
	defer func(d time.Duration) { lockWait = d }(lockWait)
	lockWait = 300 * time.Millisecond
	start := time.Now()
	w2, err := Open(dir, pass)
	took := time.Since(start)
	if w2 != nil {
		w2.Close()
	}
	want := fmt.Sprintf("wallet: the wallet is in use by another cflow process (%s, waited 300ms)", dir)
	if !errors.Is(err, ErrInUse) || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if took < lockWait || took > lockWait+2*time.Second {
		t.Errorf("gave up after %s, want about %s", took, lockWait)
	}
}

// walkFor reports files under dir that contain any of needles.
func walkFor(t *testing.T, dir string, needles ...string) []string {
	t.Helper()
	var hits []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				hits = append(hits, fmt.Sprintf("%s holds %q", p, n))
			}
		}
		return nil
	})
	return hits
}

func TestCredentialsEncryptedAtRest(t *testing.T) {
	w, dir := newWallet(t)
	holder, err := w.CreateDID(kms.Ed25519, "key")
	if err != nil {
		t.Fatal(err)
	}
	is := newIssuer(t)
	tok := is.issue(t, holder, map[string]any{"name": "Zanzibar-Quokka-7781"}, nil)
	e, err := w.Receive(context.Background(), []byte(tok), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	parts := strings.Split(tok, ".")
	needles := []string{
		"Zanzibar-Quokka-7781", // the claim value
		parts[1][:40],          // the JWT payload as sent
		parts[2][:40],          // its signature
		holder, is.did,         // who it is about, who issued it
		strings.TrimPrefix(holder, "did:key:"),
		"EmployeeCredential",
	}
	if hits := walkFor(t, dir, needles...); len(hits) > 0 {
		t.Fatalf("clear text on disk:\n%s", strings.Join(hits, "\n"))
	}
	// Control: the needle search finds what is really there.
	if hits := walkFor(t, dir, e.ID); len(hits) == 0 {
		t.Fatal("control failed: the (clear) record id is not found on disk; is the search looking at the store?")
	}
}

func TestReceive(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t)
	other := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	type tc struct {
		input    func(holder string) []byte
		force    bool
		wantErr  error
		wantCode string
		stored   int
	}
	wrapJSON := func(v any) []byte { b, _ := json.Marshal(v); return b }
	tamper := func(tok string) string {
		parts := strings.Split(tok, ".")
		var claims map[string]any
		raw, _ := base64url(parts[1])
		json.Unmarshal(raw, &claims)
		claims["vc"].(map[string]any)["credentialSubject"].(map[string]any)["role"] = "admin"
		b, _ := json.Marshal(claims)
		return parts[0] + "." + encode64url(b) + "." + parts[2]
	}
	for name, c := range map[string]tc{
		"ok/compact-jwt": {input: func(h string) []byte { return []byte(is.issue(t, h, nil, nil) + "\n") }, stored: 1},
		"ok/json-string": {input: func(h string) []byte { return wrapJSON(is.issue(t, h, nil, nil)) }, stored: 1},
		"ok/issue-answer": {input: func(h string) []byte {
			return wrapJSON(map[string]any{"verifiableCredential": is.issue(t, h, nil, nil)})
		}, stored: 1},
		"ok/forced-not-mine":   {input: func(string) []byte { return []byte(is.issue(t, other, nil, nil)) }, force: true, stored: 1},
		"fail/not-mine":        {input: func(string) []byte { return []byte(is.issue(t, other, nil, nil)) }, wantErr: ErrNotMine},
		"fail/tampered":        {input: func(h string) []byte { return []byte(tamper(is.issue(t, h, map[string]any{"role": "staff"}, nil))) }, wantErr: ErrRejected, wantCode: vc.CodeSignatureInvalid},
		"fail/tampered-forced": {input: func(h string) []byte { return []byte(tamper(is.issue(t, h, map[string]any{"role": "staff"}, nil))) }, force: true, wantErr: ErrRejected, wantCode: vc.CodeSignatureInvalid},
		"fail/expired": {input: func(h string) []byte {
			return []byte(is.issue(t, h, nil, func(d map[string]any) {
				d["issuanceDate"] = vc.FormatDateTime(time.Now().Add(-48 * time.Hour))
				d["expirationDate"] = vc.FormatDateTime(time.Now().Add(-24 * time.Hour))
			}))
		}, wantErr: ErrRejected, wantCode: vc.CodeExpired},
		"fail/alg-none": {input: func(h string) []byte {
			parts := strings.Split(is.issue(t, h, nil, nil), ".")
			return []byte(encode64url([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".")
		}, wantErr: ErrRejected, wantCode: vc.CodeAlgNotAllowed},
		"fail/garbage":       {input: func(string) []byte { return []byte("hello") }, wantErr: ErrInput},
		"fail/empty":         {input: func(string) []byte { return []byte("  \n") }, wantErr: ErrInput},
		"fail/json-no-vc":    {input: func(string) []byte { return []byte(`{"foo":"bar"}`) }, wantErr: ErrInput},
		"fail/ldp-vc-shell":  {input: func(string) []byte { return []byte(`{"verifiableCredential":{"proof":{}}}`) }, wantErr: ErrRejected}, // ldp_vc: ldp_test.go
		"fail/sd-jwt":        {input: func(string) []byte { return []byte("eyJh.eyJi.c2ln~WyJ4Il0~") }, wantErr: ErrUnsupported},
		"fail/too-large":     {input: func(string) []byte { return bytes.Repeat([]byte("a"), MaxInputBytes+1) }, wantErr: ErrInput},
		"fail/duplicate-key": {input: func(string) []byte { return []byte(`{"verifiableCredential":"a.b.c","verifiableCredential":"d.e.f"}`) }, wantErr: ErrInput},
	} {
		t.Run(name, func(t *testing.T) {
			w, _ := newWallet(t)
			holder, err := w.CreateDID(kms.Ed25519, "key")
			if err != nil {
				t.Fatal(err)
			}
			e, err := w.Receive(ctx, c.input(holder), nil, c.force)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				if c.wantCode != "" && vc.CodeOf(err) != c.wantCode {
					t.Fatalf("code = %q, want %q (%v)", vc.CodeOf(err), c.wantCode, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			l, err := w.List()
			if err != nil || len(l) != c.stored {
				t.Fatalf("stored %d, %v; want %d", len(l), err, c.stored)
			}
			if c.stored == 0 {
				return
			}
			got := l[0]
			wantSubject := holder
			if c.force {
				wantSubject = other
			}
			if got.ID != e.ID || got.Issuer != is.did || got.Subject != wantSubject || got.Format != "jwt_vc_json" ||
				!slices.Equal(got.Types, []string{"VerifiableCredential", "EmployeeCredential"}) ||
				!strings.HasPrefix(got.CredentialID, "urn:uuid:") || got.ReceivedAt.IsZero() || strings.Count(got.Raw, ".") != 2 {
				t.Fatalf("stored entry %+v", got)
			}
		})
	}
}

func TestReceiveDuplicate(t *testing.T) {
	w, _ := newWallet(t)
	holder, _ := w.CreateDID(kms.Ed25519, "key")
	tok := newIssuer(t).issue(t, holder, nil, nil)
	first, err := w.Receive(context.Background(), []byte(tok), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.Receive(context.Background(), []byte(`"`+tok+`"`), nil, false)
	if !errors.Is(err, ErrDuplicate) || again.ID != first.ID {
		t.Fatalf("second receive: %+v, %v; want ErrDuplicate with id %s", again.ID, err, first.ID)
	}
}

func TestGetDelete(t *testing.T) {
	w, _ := newWallet(t)
	holder, _ := w.CreateDID(kms.Ed25519, "key")
	is := newIssuer(t)
	e, err := w.Receive(context.Background(), []byte(is.issue(t, holder, nil, nil)), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		id   string
		want error
	}{
		"ok/full":         {e.ID, nil},
		"ok/prefix":       {e.ID[:6], nil},
		"fail/short":      {e.ID[:3], ErrNotFound},
		"fail/unknown":    {"ffffffffffffffff", ErrNotFound},
		"fail/empty":      {"", ErrNotFound},
		"fail/not-prefix": {e.ID[1:], ErrNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := w.Get(tc.id)
			if !errors.Is(err, tc.want) || (tc.want == nil && got.ID != e.ID) {
				t.Fatalf("Get(%q) = %s, %v; want %v", tc.id, got.ID, err, tc.want)
			}
		})
	}
	if err := w.Delete("ffffffffffffffff"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete unknown: %v", err)
	}
	if err := w.Delete(e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Get(e.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if err := w.Delete(e.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete twice: %v", err)
	}
}

func testVerifier(w *Wallet) *verifier.Verifier {
	return verifier.New(verifier.Config{Resolver: w.resolver})
}

func TestPresent(t *testing.T) {
	ctx := context.Background()
	w, _ := newWallet(t)
	is := newIssuer(t)
	keyHolder, _ := w.CreateDID(kms.Ed25519, "key")
	jwkHolder, _ := w.CreateDID(kms.P256, "jwk")
	mine1, err := w.Receive(ctx, []byte(is.issue(t, keyHolder, map[string]any{"n": 1}, nil)), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	mine2, err := w.Receive(ctx, []byte(is.issue(t, keyHolder, map[string]any{"n": 2}, nil)), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	jwkCred, err := w.Receive(ctx, []byte(is.issue(t, jwkHolder, nil, nil)), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := w.Receive(ctx, []byte(is.issue(t, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", nil, nil)), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	const challenge, aud = "n-0S6_WzA2Mj", "https://gateway.example"

	for name, tc := range map[string]struct {
		ids       []string
		holder    string
		wantCreds []string
		wantKid   string
	}{
		"ok/all-of-holder":   {nil, keyHolder, []string{mine1.Raw, mine2.Raw}, keyHolder + "#" + strings.TrimPrefix(keyHolder, "did:key:")},
		"ok/named":           {[]string{mine2.ID}, "", []string{mine2.Raw}, keyHolder + "#" + strings.TrimPrefix(keyHolder, "did:key:")},
		"ok/named-prefix":    {[]string{mine1.ID[:8], mine1.ID}, "", []string{mine1.Raw}, keyHolder + "#" + strings.TrimPrefix(keyHolder, "did:key:")},
		"ok/did-jwk-p256":    {nil, jwkHolder, []string{jwkCred.Raw}, jwkHolder + "#0"},
		"ok/did-jwk-by-cred": {[]string{jwkCred.ID}, "", []string{jwkCred.Raw}, jwkHolder + "#0"},
	} {
		t.Run(name, func(t *testing.T) {
			tok, err := w.Present(ctx, challenge, aud, tc.ids, tc.holder)
			if err != nil {
				t.Fatal(err)
			}
			pt, err := vcjose.Parse(tok)
			if err != nil {
				t.Fatal(err)
			}
			if pt.Header.Kid != tc.wantKid {
				t.Errorf("kid = %s, want %s", pt.Header.Kid, tc.wantKid)
			}
			exp, _ := pt.Claims["exp"].(float64)
			iat, _ := pt.Claims["iat"].(float64)
			if int64(exp-iat) != int64(PresentationTTL/time.Second) {
				t.Errorf("exp - iat = %d s, want %v", int64(exp-iat), PresentationTTL)
			}
			res := testVerifier(w).VerifyPresentation(ctx, tok, verifier.Options{Challenge: challenge, Domain: aud})
			if !res.Verified {
				t.Fatalf("presentation did not verify: %+v", res.Errors)
			}
			for _, c := range []string{verifier.CheckHolder, verifier.CheckChallenge, verifier.CheckDomain, verifier.CheckCredential} {
				if !slices.Contains(res.Checks, c) {
					t.Errorf("check %s did not run: %v", c, res.Checks)
				}
			}
			var got []string
			for _, c := range res.Presentation.Credentials {
				got = append(got, c.(string))
			}
			if !slices.Equal(got, tc.wantCreds) || len(res.Credentials) != len(tc.wantCreds) {
				t.Fatalf("presented %d credentials, want %d", len(got), len(tc.wantCreds))
			}
			if wantHolder := strings.Split(tc.wantKid, "#")[0]; res.Holder != wantHolder {
				t.Fatalf("holder %s, want %s", res.Holder, wantHolder)
			}
			// The same presentation fails against another challenge or audience.
			if r := testVerifier(w).VerifyPresentation(ctx, tok, verifier.Options{Challenge: "other", Domain: aud}); r.Verified || r.Errors[0].Code != vc.CodeChallengeMismatch {
				t.Fatalf("other challenge: %+v", r.Errors)
			}
			if r := testVerifier(w).VerifyPresentation(ctx, tok, verifier.Options{Challenge: challenge, Domain: "https://evil.example"}); r.Verified || r.Errors[0].Code != vc.CodeDomainMismatch {
				t.Fatalf("other audience: %+v", r.Errors)
			}
		})
	}

	// A credential about someone else can be named; the verifier's holder
	// binding then refuses it, as it should.
	tok, err := w.Present(ctx, challenge, aud, []string{theirs.ID}, keyHolder)
	if err != nil {
		t.Fatal(err)
	}
	if r := testVerifier(w).VerifyPresentation(ctx, tok, verifier.Options{Challenge: challenge, Domain: aud}); r.Verified || r.Errors[0].Code != vc.CodeHolderMismatch {
		t.Fatalf("someone else's credential: %+v", r.Errors)
	}

	for name, tc := range map[string]struct {
		challenge, aud string
		ids            []string
		holder         string
		want           error
	}{
		"fail/unknown-credential": {challenge, aud, []string{"0123456789abcdef"}, keyHolder, ErrNotFound},
		"fail/one-unknown":        {challenge, aud, []string{mine1.ID, "0123456789abcdef"}, "", ErrNotFound},
		"fail/unknown-holder":     {challenge, aud, nil, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", ErrNotFound},
		"fail/holder-ambiguous":   {challenge, aud, nil, "", ErrNoHolder},
		"fail/mixed-holders":      {challenge, aud, []string{mine1.ID, jwkCred.ID}, "", ErrNoHolder},
		"fail/no-challenge":       {"", aud, nil, keyHolder, nil},
		"fail/no-audience":        {challenge, "", nil, keyHolder, nil},
	} {
		t.Run(name, func(t *testing.T) {
			tok, err := w.Present(ctx, tc.challenge, tc.aud, tc.ids, tc.holder)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("Present = %.20s…, %v; want %v", tok, err, tc.want)
			}
		})
	}

	t.Run("fail/no-credentials", func(t *testing.T) {
		fresh, err := w.CreateDID(kms.Ed25519, "key")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Present(ctx, challenge, aud, nil, fresh); !errors.Is(err, ErrNoCredentials) {
			t.Fatalf("err = %v, want ErrNoCredentials", err)
		}
	})
}

// gateway is the smallest server that speaks the two endpoints Token uses.
type gateway struct {
	t        *testing.T
	v        *verifier.Verifier
	nonce    string
	aud      string
	refuse   bool
	form     map[string][]string
	ctype    string
	bigReply bool
}

func (g *gateway) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == ChallengePath:
		rw.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rw).Encode(Challenge{Nonce: g.nonce, Audience: g.aud, ExpiresIn: 300})
	case r.Method == http.MethodPost && r.URL.Path == TokenPath:
		g.ctype = r.Header.Get("Content-Type")
		if err := r.ParseForm(); err != nil {
			http.Error(rw, err.Error(), 400)
			return
		}
		g.form = r.PostForm
		rw.Header().Set("Content-Type", "application/json")
		if g.bigReply {
			rw.Write(bytes.Repeat([]byte(" "), MaxResponseBytes+10))
			return
		}
		res := g.v.VerifyPresentation(r.Context(), r.PostForm.Get("subject_token"), verifier.Options{Challenge: g.nonce, Domain: g.aud})
		if g.refuse || !res.Verified {
			rw.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(rw).Encode(map[string]string{"error": "invalid_grant", "error_description": "nonce already used"})
			return
		}
		json.NewEncoder(rw).Encode(TokenResponse{AccessToken: "at." + res.Holder, IssuedTokenType: "urn:ietf:params:oauth:token-type:access_token", TokenType: "Bearer", ExpiresIn: 300, Scope: "EmployeeCredential"})
	default:
		http.NotFound(rw, r)
	}
}

func TestToken(t *testing.T) {
	ctx := context.Background()
	w, _ := newWallet(t)
	holder, _ := w.CreateDID(kms.Ed25519, "key")
	if _, err := w.Receive(ctx, []byte(newIssuer(t).issue(t, holder, nil, nil)), nil, false); err != nil {
		t.Fatal(err)
	}
	g := &gateway{t: t, v: testVerifier(w), nonce: "c2luZ2xlLXVzZQ"}
	srv := httptest.NewServer(g)
	defer srv.Close()
	g.aud = srv.URL // the gateway's public URL, as cflow serve announces it

	// The scheme in upper case and a trailing slash still name srv.
	tr, err := w.Token(ctx, strings.ToUpper(srv.URL)+"/", nil, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	want := TokenResponse{AccessToken: "at." + holder, IssuedTokenType: "urn:ietf:params:oauth:token-type:access_token", TokenType: "Bearer", ExpiresIn: 300, Scope: "EmployeeCredential"}
	if tr != want {
		t.Fatalf("token response %+v, want %+v", tr, want)
	}
	if g.ctype != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", g.ctype)
	}
	keys := make([]string, 0, len(g.form))
	for k, v := range g.form {
		keys = append(keys, k)
		if len(v) != 1 {
			t.Errorf("form field %s sent %d times", k, len(v))
		}
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"grant_type", "subject_token", "subject_token_type"}) {
		t.Fatalf("form fields %v", keys)
	}
	if g.form["grant_type"][0] != "urn:ietf:params:oauth:grant-type:token-exchange" ||
		g.form["subject_token_type"][0] != "urn:ietf:params:oauth:token-type:jwt" {
		t.Fatalf("form %v", g.form)
	}

	t.Run("fail/refused", func(t *testing.T) {
		g.refuse = true
		defer func() { g.refuse = false }()
		_, err := w.Token(ctx, srv.URL, nil, nil)
		var te *TokenError
		if !errors.As(err, &te) || te.Status != 400 || te.Code != "invalid_grant" || te.Description != "nonce already used" || !errors.Is(err, ErrGateway) {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(err.Error(), "invalid_grant: nonce already used") {
			t.Fatalf("message %q does not show both error and description", err)
		}
	})
	t.Run("fail/relayed-challenge", func(t *testing.T) {
		// A relay hands the wallet the real gateway's challenge: the
		// wallet refuses before it signs anything for that audience.
		presented := false
		relay := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.URL.Path == ChallengePath {
				rw.Header().Set("Content-Type", "application/json")
				json.NewEncoder(rw).Encode(Challenge{Nonce: g.nonce, Audience: srv.URL, ExpiresIn: 300})
				return
			}
			presented = true
		}))
		defer relay.Close()
		_, err := w.Token(ctx, relay.URL, nil, nil)
		want := fmt.Sprintf("wallet: gateway error: the challenge names audience %q, not the gateway URL %q: refusing to present (give the gateway's public URL)", srv.URL, relay.URL)
		if !errors.Is(err, ErrGateway) || err.Error() != want || presented {
			t.Fatalf("err = %v (presented: %v); want %s", err, presented, want)
		}
	})
	host := strings.TrimPrefix(srv.URL, "http://")
	for name, aud := range map[string]string{
		"fail/audience-other-port": "http://127.0.0.1:1",
		"fail/audience-path":       srv.URL + "/gw",
		"fail/audience-not-url":    "gateway",
		"fail/audience-https":      "https://" + host,
		"fail/audience-query":      srv.URL + "?x=1",
		"fail/audience-user":       "http://u@" + host,
	} {
		t.Run(name, func(t *testing.T) {
			g.aud = aud
			defer func() { g.aud = srv.URL }()
			g.form = nil
			if _, err := w.Token(ctx, srv.URL, nil, nil); !errors.Is(err, ErrGateway) || !strings.Contains(err.Error(), "refusing to present") || g.form != nil {
				t.Fatalf("audience %q: err = %v, form sent: %v", aud, err, g.form != nil)
			}
		})
	}
	t.Run("fail/redirect", func(t *testing.T) {
		// Neither call follows a redirect, so the presentation never
		// leaves for another host (a 307/308 re-sends the body).
		for _, path := range []string{ChallengePath, TokenPath} {
			var got []string
			other := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				got = append(got, r.URL.Path)
				g.ServeHTTP(rw, r)
			}))
			front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if r.URL.Path == path {
					http.Redirect(rw, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
					return
				}
				g.ServeHTTP(rw, r)
			}))
			g.aud = front.URL
			client := &http.Client{Timeout: 5 * time.Second}
			_, err := w.Token(ctx, front.URL, nil, client)
			wantMsg := fmt.Sprintf("HTTP 307 redirect to %q not followed", other.URL+path)
			if !errors.Is(err, ErrGateway) || !strings.Contains(err.Error(), wantMsg) || len(got) != 0 || client.CheckRedirect != nil {
				t.Errorf("%s: err = %v; other host got %v; caller's CheckRedirect set: %v", path, err, got, client.CheckRedirect != nil)
			}
			front.Close()
			other.Close()
		}
		g.aud = srv.URL
	})
	t.Run("fail/oversized-answer", func(t *testing.T) {
		g.bigReply = true
		defer func() { g.bigReply = false }()
		if _, err := w.Token(ctx, srv.URL, nil, nil); !errors.Is(err, ErrGateway) || !strings.Contains(err.Error(), "over") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("fail/problem-json", func(t *testing.T) {
		s := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/problem+json")
			rw.WriteHeader(http.StatusTooManyRequests)
			rw.Write([]byte(`{"type":"https://credentialflow.dev/problems/rate-limited","title":"Too many requests","detail":"slow down"}`))
		}))
		defer s.Close()
		var te *TokenError
		_, err := w.Token(ctx, s.URL, nil, nil)
		if !errors.As(err, &te) || te.Status != 429 || te.Code != "https://credentialflow.dev/problems/rate-limited" || te.Description != "Too many requests: slow down" {
			t.Fatalf("err = %v (%+v)", err, te)
		}
	})
	t.Run("fail/not-found", func(t *testing.T) {
		s := httptest.NewServer(http.NotFoundHandler())
		defer s.Close()
		var te *TokenError
		if _, err := w.Token(ctx, s.URL, nil, nil); !errors.As(err, &te) || te.Status != 404 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("fail/unknown-credential", func(t *testing.T) {
		if _, err := w.Token(ctx, srv.URL, []string{"0123456789abcdef"}, nil); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
	for name, u := range map[string]string{
		"fail/url-scheme": "ftp://gw.test",
		"fail/url-empty":  "",
		"fail/url-query":  "http://gw.test/?a=b",
		"fail/url-nohost": "http:///x",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := w.Token(ctx, u, nil, nil); !errors.Is(err, ErrGateway) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestDefaultKDF(t *testing.T) {
	p, err := DefaultKDF()
	if err != nil {
		t.Fatal(err)
	}
	if p.Time != ArgonTime || p.MemoryKiB != ArgonMemoryKiB || p.Threads != ArgonThreads || p.check() != nil {
		t.Fatalf("defaults %+v fail their own floor: %v", p, p.check())
	}
	if testing.Short() {
		t.Skip("one full-cost Init")
	}
	dir := t.TempDir()
	w, err := Init(dir, pass)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if got, _ := KDF(dir); got.MemoryKiB != ArgonMemoryKiB {
		t.Fatalf("recorded %+v", got)
	}
	if _, err := Init(dir, pass); !errors.Is(err, ErrExists) {
		t.Fatalf("second Init: %v", err)
	}
	w, err = Open(dir, pass)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.ChangePassphrase(pass, []byte("next")); err != nil {
		t.Fatal(err)
	}
	if _, err := Init(t.TempDir(), nil); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("empty passphrase: %v", err)
	}
}

func TestChangePassphrase(t *testing.T) {
	w, dir := newWallet(t)
	holder, _ := w.CreateDID(kms.Ed25519, "key")
	e, err := w.Receive(context.Background(), []byte(newIssuer(t).issue(t, holder, nil, nil)), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	newPass := []byte("a new passphrase")
	if err := w.rewrap([]byte("not it"), newPass, testKDF(t)); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("rewrap with a wrong old passphrase: %v", err)
	}
	if err := w.ChangePassphrase(pass, nil); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("empty new passphrase: %v", err)
	}
	p := testKDF(t)
	p.Time++ // "raised" parameters are recorded and used
	if err := w.rewrap(pass, newPass, p); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if got, _ := KDF(dir); got.Time != p.Time || !bytes.Equal(got.Salt, p.Salt) {
		t.Fatalf("recorded %+v, want %+v", got, p)
	}
	if _, err := Open(dir, pass); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase: %v", err)
	}
	w2, err := Open(dir, newPass)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if got, err := w2.Get(e.ID); err != nil || got.Raw != e.Raw {
		t.Fatalf("credential after change: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("left-over files: %v", ents)
	}
}

func FuzzExtractJWT(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2ln",
		`"eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2ln"`,
		`{"verifiableCredential":"a.b.c"}`,
		`{"verifiableCredential":{"proof":{}}}`,
		"a.b.c~d~",
		"\xef\xbb\xbf a.b.c \n",
		`{"a":1,"a":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ExtractJWT(in)
		if err != nil {
			if s != "" {
				t.Fatalf("error %v with output %q", err, s)
			}
			return
		}
		if strings.Count(s, ".") != 2 || strings.ContainsAny(s, " \t\r\n~") {
			t.Fatalf("accepted %q", s)
		}
	})
}

func BenchmarkDeriveDefault(b *testing.B) {
	p, err := DefaultKDF()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		kek(pass, p)
	}
}

func base64url(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
func encode64url(b []byte) string        { return base64.RawURLEncoding.EncodeToString(b) }

func TestPresentInfersHolder(t *testing.T) {
	ctx := context.Background()
	w, _ := newWallet(t)
	holder, _ := w.CreateDID(kms.Ed25519, "key")
	if _, err := w.CreateDID(kms.P256, "jwk"); err != nil { // a second DID with nothing about it
		t.Fatal(err)
	}
	if _, err := w.Present(ctx, "c", "a", nil, ""); !errors.Is(err, ErrNoHolder) {
		t.Fatalf("no credentials, two DIDs: %v, want ErrNoHolder", err)
	}
	e, err := w.Receive(ctx, []byte(newIssuer(t).issue(t, holder, nil, nil)), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := w.Present(ctx, "c", "a", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	res := testVerifier(w).VerifyPresentation(ctx, tok, verifier.Options{Challenge: "c", Domain: "a"})
	if !res.Verified || res.Holder != holder || len(res.Credentials) != 1 || res.Credentials[0].ID != e.CredentialID {
		t.Fatalf("verified %v holder %s errors %+v", res.Verified, res.Holder, res.Errors)
	}
}

func FuzzReadHeader(f *testing.F) {
	dir := f.TempDir()
	w, err := initWith(dir, pass, testKDF(f))
	if err != nil {
		f.Fatal(err)
	}
	w.Close()
	good, _ := os.ReadFile(filepath.Join(dir, HeaderFile))
	f.Add(good)
	f.Add([]byte(`{"format":"cflow-wallet","version":1,"kdf":{"alg":"argon2id","time":4294967295,"memoryKiB":4294967295,"threads":255,"salt":""},"check":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, HeaderFile), in, 0o600)
		h, err := readHeader(d)
		if err != nil {
			return
		}
		// Whatever is accepted is within the bounds Open will spend.
		if h.KDF.Time > maxArgonTime || h.KDF.MemoryKiB > maxArgonMemoryKiB || h.KDF.Threads > maxArgonThreads || len(h.WrappedKey) == 0 {
			t.Fatalf("accepted %+v", h)
		}
	})
}

func BenchmarkPresent(b *testing.B) {
	ctx := context.Background()
	w, _ := newWallet(b)
	holder, _ := w.CreateDID(kms.Ed25519, "key")
	if _, err := w.Receive(ctx, []byte(newIssuer(b).issue(b, holder, nil, nil)), nil, false); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := w.Present(ctx, "c", "a", nil, holder); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReceive(b *testing.B) {
	ctx := context.Background()
	w, _ := newWallet(b)
	holder, _ := w.CreateDID(kms.Ed25519, "key")
	is := newIssuer(b)
	toks := make([]string, 0, 1024)
	for b.Loop() {
		b.StopTimer()
		tok := is.issue(b, holder, map[string]any{"n": len(toks)}, nil)
		toks = append(toks, tok)
		b.StartTimer()
		if _, err := w.Receive(ctx, []byte(tok), nil, false); err != nil {
			b.Fatal(err)
		}
	}
}
