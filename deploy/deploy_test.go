package deploy

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/jeton/jeton/httpapi"
)

// manifests are the Kubernetes objects of kubernetes/*.yaml, decoded strictly into the
// API types (an unknown or misplaced field is an error, as kubectl's validation makes it).
type manifests struct {
	deployments []appsv1.Deployment
	services    []corev1.Service
	secrets     []corev1.Secret
	jobs        []batchv1.Job
	pdbs        []policyv1.PodDisruptionBudget
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var m manifests
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(raw), -1) {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) == "" {
				continue
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatalf("%s #%d: %v", f, i, err)
			}
			strict := func(v any) {
				if err := yaml.UnmarshalStrict([]byte(doc), v); err != nil {
					t.Fatalf("%s #%d (%s): %v", f, i, tm.Kind, err)
				}
			}
			switch tm.APIVersion + " " + tm.Kind {
			case "apps/v1 Deployment":
				var d appsv1.Deployment
				strict(&d)
				m.deployments = append(m.deployments, d)
			case "v1 Service":
				var s corev1.Service
				strict(&s)
				m.services = append(m.services, s)
			case "v1 Secret":
				var s corev1.Secret
				strict(&s)
				m.secrets = append(m.secrets, s)
			case "batch/v1 Job":
				var j batchv1.Job
				strict(&j)
				m.jobs = append(m.jobs, j)
			case "policy/v1 PodDisruptionBudget":
				var p policyv1.PodDisruptionBudget
				strict(&p)
				m.pdbs = append(m.pdbs, p)
			default:
				t.Fatalf("%s #%d: unexpected %q %q", f, i, tm.APIVersion, tm.Kind)
			}
			if tm.Kind == "" || tm.APIVersion == "" {
				t.Fatalf("%s #%d: no apiVersion/kind", f, i)
			}
		}
	}
	return m
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	return env
}

func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// imageUID is the uid of the image's user, from the passwd file the image ships.
func imageUID(t *testing.T) int64 {
	raw, err := os.ReadFile("../cmd/jeton-image/rootfs/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Split(l, ":"); len(f) > 3 && f[0] == "jeton" {
			uid, _ := strconv.ParseInt(f[2], 10, 64)
			return uid
		}
	}
	t.Fatal("no jeton user in the image's passwd")
	return 0
}

func TestKubernetes(t *testing.T) {
	m := loadManifests(t)
	if len(m.deployments) != 1 || len(m.secrets) != 1 || len(m.jobs) != 1 {
		t.Fatalf("want one Deployment, Secret and migrate Job; got %d, %d, %d", len(m.deployments), len(m.secrets), len(m.jobs))
	}
	d, secret := m.deployments[0], m.secrets[0]
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas %v, want 3", d.Spec.Replicas)
	}
	pod := d.Spec.Template
	if d.Spec.Selector == nil || !selects(d.Spec.Selector.MatchLabels, pod.Labels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector, pod.Labels)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	env := envOf(c)

	// The image is the one cmd/jeton-image builds (repository "jeton", a pinned tag),
	// run as its user, serving the image's command.
	repo, tag, ok := strings.Cut(c.Image[strings.LastIndex(c.Image, "/")+1:], ":")
	if !ok || repo != "jeton" || tag == "" || tag == "latest" {
		t.Errorf("image %q: want …/jeton:<release>", c.Image)
	}
	if j := m.jobs[0].Spec.Template.Spec.Containers[0]; j.Image != c.Image || strings.Join(j.Args, " ") != "migrate" {
		t.Errorf("migrate job runs %q %v, want %q migrate", j.Image, j.Args, c.Image)
	}
	if strings.Join(c.Args, " ") != "serve" {
		t.Errorf("args %v, want serve", c.Args)
	}
	if _, ok := env["JETON_MIGRATE"]; ok || strings.Contains(strings.Join(c.Args, " "), "--migrate") {
		t.Error("replicas migrate PostgreSQL themselves; the migrate Job does")
	}
	uid := imageUID(t)
	if sc := pod.Spec.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != uid || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("pod security context %+v: want non-root uid %d", sc, uid)
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("container security context %+v", sc)
	}

	// PostgreSQL and the KEK come from the Secret, under keys it has.
	fromSecret := func(name string) string {
		e, ok := env[name]
		if !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != secret.Name {
			t.Errorf("%s is not taken from Secret %s: %+v", name, secret.Name, e)
			return ""
		}
		key := e.ValueFrom.SecretKeyRef.Key
		if _, ok := secret.StringData[key]; !ok {
			t.Errorf("%s names key %q, which Secret %s lacks", name, key, secret.Name)
		}
		return secret.StringData[key]
	}
	if db := fromSecret("JETON_DATABASE"); !strings.HasPrefix(db, "postgres://") {
		t.Errorf("JETON_DATABASE %q: the 3 replicas need PostgreSQL", db)
	}
	fromSecret("JETON_KEK")
	if iss := env["JETON_ISSUER"].Value; !strings.HasPrefix(iss, "https://") {
		t.Errorf("JETON_ISSUER %q, want https", iss)
	}

	// Ports: the named container ports are the ones JETON_ADDR and JETON_ADMIN_ADDR bind.
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for name, envName := range map[string]string{"http": "JETON_ADDR", "admin": "JETON_ADMIN_ADDR"} {
		addr := env[envName].Value
		if !strings.HasSuffix(addr, ":"+strconv.Itoa(int(ports[name]))) || !strings.HasPrefix(addr, "0.0.0.0:") {
			t.Errorf("%s=%q does not bind container port %q (%d) on the pod network", envName, addr, name, ports[name])
		}
	}

	// Probes GET real routes of the public listener on its port; check them against
	// the public handler itself.
	public := httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler), Ready: func(context.Context) error { return nil }})
	for what, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe missing or not httpGet", what)
			continue
		}
		if p.HTTPGet.Port.StrVal != "http" {
			t.Errorf("%s probe on port %v, want the public port (named http)", what, p.HTTPGet.Port)
		}
		rec := httptest.NewRecorder()
		public.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p.HTTPGet.Path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("%s probe GET %s: the public listener answers %d", what, p.HTTPGet.Path, rec.Code)
		}
	}
	if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe %s, want /readyz (store and keys)", c.ReadinessProbe.HTTPGet.Path)
	}
	if sec := pod.Spec.TerminationGracePeriodSeconds; sec == nil || *sec <= 15 {
		t.Errorf("terminationGracePeriodSeconds %v: must exceed --shutdown-timeout (15 s)", sec)
	}

	// The shared admin token is mounted where serve reads it: <JETON_DATA_DIR>/admin-token.
	dataDir := env["JETON_DATA_DIR"].Value
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = v
	}
	var tokenMounted, dataWritable bool
	for _, vm := range c.VolumeMounts {
		v, ok := volumes[vm.Name]
		if !ok {
			t.Errorf("mount %s names no volume", vm.Name)
			continue
		}
		switch vm.MountPath {
		case dataDir + "/admin-token":
			tokenMounted = v.Secret != nil && v.Secret.SecretName == secret.Name && vm.SubPath == "admin-token"
			if _, ok := secret.StringData["admin-token"]; !ok {
				t.Error("the Secret has no admin-token")
			}
			if tok := secret.StringData["admin-token"]; len(tok) < 32 {
				t.Errorf("admin-token placeholder %q is shorter than jeton accepts (32)", tok)
			}
		case dataDir:
			dataWritable = v.EmptyDir != nil && !vm.ReadOnly
		}
	}
	if !tokenMounted || !dataWritable || dataDir == "" {
		t.Errorf("data dir %q writable %v, admin token mounted at its admin-token %v", dataDir, dataWritable, tokenMounted)
	}

	// Services select the pods and target their named ports.
	if len(m.services) < 2 {
		t.Fatalf("want the public and the admin Service, got %d", len(m.services))
	}
	for _, s := range m.services {
		if !selects(s.Spec.Selector, pod.Labels) {
			t.Errorf("Service %s selects %v, not the pods %v", s.Name, s.Spec.Selector, pod.Labels)
		}
		if s.Spec.Type != corev1.ServiceTypeClusterIP {
			t.Errorf("Service %s is %s: expose jeton through your ingress/balancer, never the admin API", s.Name, s.Spec.Type)
		}
		for _, p := range s.Spec.Ports {
			if _, ok := ports[p.TargetPort.StrVal]; !ok {
				t.Errorf("Service %s targets port %v, which the container does not name", s.Name, p.TargetPort)
			}
		}
	}
	for _, p := range m.pdbs {
		if p.Spec.Selector == nil || !selects(p.Spec.Selector.MatchLabels, pod.Labels) {
			t.Errorf("PodDisruptionBudget %s does not select the pods", p.Name)
		}
	}
}

// unit is a systemd unit file: section → key → values in order.
func parseUnit(t *testing.T, path string) map[string]map[string][]string {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			section = l[1 : len(l)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not key=value in a section: %q", path, n, l)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

func TestSystemdUnit(t *testing.T) {
	const path = "systemd/jeton.service"
	u := parseUnit(t, path)
	s := u["Service"]
	want := map[string]string{
		"DynamicUser":           "yes",
		"ProtectSystem":         "strict",
		"StateDirectory":        "jeton",
		"NoNewPrivileges":       "yes",
		"CapabilityBoundingSet": "",
		"PrivateTmp":            "yes",
		"ProtectHome":           "yes",
		"ExecStart":             "/usr/local/bin/jeton serve",
		"KillSignal":            "SIGTERM",
	}
	for k, v := range want {
		if got := s[k]; len(got) != 1 || got[0] != v {
			t.Errorf("[Service] %s = %q, want %q", k, got, v)
		}
	}
	env := map[string]string{}
	for _, e := range s["Environment"] {
		k, v, _ := strings.Cut(e, "=")
		env[k] = v
	}
	// serve keeps its state where systemd made the state directory, and reads the KEK
	// from the credential LoadCredential hands over.
	if env["JETON_DATA_DIR"] != "%S/jeton" || s["WorkingDirectory"][0] != "%S/jeton" {
		t.Errorf("JETON_DATA_DIR %q: want %%S/jeton (the StateDirectory)", env["JETON_DATA_DIR"])
	}
	if len(s["LoadCredential"]) != 1 || !strings.HasPrefix(s["LoadCredential"][0], "kek:") || env["JETON_KEK_FILE"] != "%d/kek" {
		t.Errorf("KEK: LoadCredential %q, JETON_KEK_FILE %q", s["LoadCredential"], env["JETON_KEK_FILE"])
	}
	if got := u["Install"]["WantedBy"]; len(got) != 1 || got[0] != "multi-user.target" {
		t.Errorf("[Install] WantedBy %q", got)
	}

	// systemd's own check, where systemd is installed: on a copy whose ExecStart names
	// a binary that exists (verify refuses a missing one).
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: parsed only")
		return
	}
	raw, _ := os.ReadFile(path)
	self, _ := os.Executable()
	dir := t.TempDir()
	unit := filepath.Join(dir, "jeton.service")
	if err := os.WriteFile(unit, bytes.ReplaceAll(raw, []byte("/usr/local/bin/jeton"), []byte(self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", unit).CombinedOutput()
	var complaints []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "jeton.service") {
			complaints = append(complaints, l)
		}
	}
	if len(complaints) > 0 {
		t.Errorf("systemd-analyze verify:\n%s", strings.Join(complaints, "\n"))
	} else if err != nil {
		t.Logf("systemd-analyze verify exited %v (nothing about jeton.service):\n%s", err, out)
	}
}
