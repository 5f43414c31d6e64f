package cflowtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Nginx starts Debian's nginx in front of upstream with auth_request to the
// gateway's /v1/gateway/authorize at gateway (the README's recipe: the
// original request as X-Original-URI / X-Original-Method, identity headers
// copied from the auth answer), plus authExtra directives in the auth
// location. It returns the address nginx listens on and stops it when the
// test ends. Without nginx the test skips, unless CI is set (then
// .ci/install-nginx.sh should have installed it).
func Nginx(t testing.TB, gateway, upstream, authExtra string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
		if _, serr := os.Stat(p); err != nil && serr == nil {
			bin, err = p, nil
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("nginx is not installed; .ci/install-nginx.sh should have installed it")
		}
		t.Skip("nginx not found: run .ci/install-nginx.sh (apt-get install nginx-light) to run the forward-auth test")
	}
	dir := t.TempDir()
	front := FreeAddr(t)
	conf := filepath.Join(dir, "nginx.conf")
	err = os.WriteFile(conf, []byte(fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen %[2]s;
    location /api/ {
      auth_request /_auth;
      auth_request_set $cf_subject $upstream_http_x_credentialflow_subject;
      auth_request_set $cf_scope $upstream_http_x_credentialflow_scope;
      proxy_set_header X-Credentialflow-Subject $cf_subject;
      proxy_set_header X-Credentialflow-Scope $cf_scope;
      proxy_pass %[3]s;
    }
    location = /_auth {
      internal;
      proxy_pass %[4]s/v1/gateway/authorize;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
%[5]s
    }
  }
}
`, dir, front, upstream, gateway, authExtra)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	out := &LockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", front, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return front
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not listen on %s: %v\n%s\n%s", front, err, out, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
