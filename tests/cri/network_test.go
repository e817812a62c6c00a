//go:build linux

package cri

import (
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// A pod on the CNI bridge: its own network namespace with the address the CRI reports on eth0,
// lo up, and the pod's hostname in its own UTS namespace.
func TestPodNetworkCNI(t *testing.T) {
	eachHandler(t, "pod network: CNI bridge, own netns", func(t *testing.T, h handler) {
		p := newPod(t, h, "cni-"+h.name, podOptions{})
		ip := p.ip(t)
		if addr, err := netip.ParseAddr(ip); err != nil || !netip.MustParsePrefix(podSubnet).Contains(addr) {
			t.Errorf("pod IP %q is not in the bridge's subnet %s", ip, podSubnet)
		}
		c := p.start(t, containerConfig("app", "exec sleep 3600"))
		if got := c.sh(t, "ip -4 -o addr show dev eth0"); !strings.Contains(got, " "+ip+"/") {
			t.Errorf("eth0 in the container: %q, want address %s", got, ip)
		}
		if got := c.sh(t, "ip -o link show dev lo"); !strings.Contains(got, "UP") {
			t.Errorf("lo in the container is not up: %q", got)
		}
		if got := c.sh(t, "hostname"); got != p.config.Hostname {
			t.Errorf("hostname = %q, want the pod's %q", got, p.config.Hostname)
		}
		if host, ctr := nsOf(t, "self", "net"), c.sh(t, "readlink /proc/1/ns/net"); host == ctr {
			t.Errorf("container shares the host's network namespace %s", host)
		}
	})
}

// Two pods on the bridge: one serves HTTP on its pod IP, the other fetches from it.
func TestPodToPod(t *testing.T) {
	eachHandler(t, "pod network: pod to pod over the bridge", func(t *testing.T, h handler) {
		server := newPod(t, h, "server-"+h.name, podOptions{})
		server.start(t, containerConfig("httpd", "mkdir -p /www && echo hello-from-"+h.name+" >/www/index.html && exec httpd -f -p 8080 -h /www"))
		client := newPod(t, h, "client-"+h.name, podOptions{})
		c := client.start(t, containerConfig("app", "exec sleep 3600"))
		// busybox's static wget crashes in glibc's resolver code (on the host too): plain nc.
		addr := server.ip(t)
		get := "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 " + addr + " 8080"
		deadline := time.Now().Add(20 * time.Second)
		for {
			r, err := c.execSync(t, 10, "sh", "-c", get)
			if err == nil && r.ExitCode == 0 && strings.Contains(string(r.Stdout), "200 OK") {
				if !strings.HasSuffix(string(r.Stdout), "\r\n\r\nhello-from-"+h.name+"\n") {
					t.Errorf("GET / from %s: %q", addr, r.Stdout)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET / from %s in the other pod: err %v, response %v", addr, err, r)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// A host-network pod shares the node's network namespace (here the suite's own, which is the
// node's as containerd sees it) and its hostname.
func TestPodHostNetwork(t *testing.T) {
	eachHandler(t, "pod network: host network", func(t *testing.T, h handler) {
		p := newPod(t, h, "hostnet-"+h.name, podOptions{hostNetwork: true})
		c := p.start(t, containerConfig("app", "exec sleep 3600"))
		if host, ctr := nsOf(t, "self", "net"), c.sh(t, "readlink /proc/1/ns/net"); host != ctr {
			t.Errorf("container network namespace %s, want the host's %s", ctr, host)
		}
		hostname, _ := os.Hostname()
		if got := c.sh(t, "hostname"); got != hostname {
			t.Errorf("hostname = %q, want the host's %q", got, hostname)
		}
	})
}
