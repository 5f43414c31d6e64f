package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTokenBodyTooLarge: a body over the server's cap (api's limitBody
// wraps it in a MaxBytesReader) is refused as RFC 6749 §5.2 JSON with 413.
func TestTokenBodyTooLarge(t *testing.T) {
	r := newRig(t, rigOptions{})
	for _, h := range []http.HandlerFunc{r.gw.HandleToken, r.gw.HandleIntrospect} {
		body := "grant_type=" + GrantTypeTokenExchange + "&token=x&subject_token=" + strings.Repeat("A", 2048)
		req := httptest.NewRequest(http.MethodPost, TokenPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		req.Body = http.MaxBytesReader(w, req.Body, 1024)
		h.ServeHTTP(w, req)
		var e map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != http.StatusRequestEntityTooLarge ||
			w.Header().Get("Content-Type") != "application/json" || e["error"] != "invalid_request" || e["error_description"] == "" {
			t.Errorf("%d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
		}
	}
}
