package libcontain

import (
	"errors"
	"io/fs"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/proc"
	"github.com/contain-runtime/contain/state"
)

// fakeProbe answers for one container whose init is pid 42.
type fakeProbe struct {
	stat      proc.Stat
	statErr   error
	fifoErr   error // nil: exec.fifo exists
	frozen    bool
	frozenErr error
}

func (f fakeProbe) ProcStat(pid int) (proc.Stat, error) {
	if pid != 42 {
		return proc.Stat{}, fs.ErrNotExist
	}
	return f.stat, f.statErr
}
func (f fakeProbe) ExecFifo() error       { return f.fifoErr }
func (f fakeProbe) Frozen() (bool, error) { return f.frozen, f.frozenErr }

func TestDeriveStatus(t *testing.T) {
	const started = 1000 // init's start time, as recorded at create
	alive := proc.Stat{State: 'S', StartTime: started}
	gone := fs.ErrNotExist
	tests := []struct {
		name  string
		pid   int
		probe fakeProbe
		want  Status
	}{
		{"no pid recorded", 0, fakeProbe{stat: alive}, Stopped},
		{"init gone", 42, fakeProbe{statErr: gone}, Stopped},
		{"unreadable stat", 42, fakeProbe{statErr: unix.EACCES}, Stopped},
		{"zombie", 42, fakeProbe{stat: proc.Stat{State: 'Z', StartTime: started}}, Stopped},
		{"dead", 42, fakeProbe{stat: proc.Stat{State: 'X', StartTime: started}}, Stopped},
		// The pid now names another process: the container is stopped whatever else is there.
		{"pid reused", 42, fakeProbe{stat: proc.Stat{State: 'S', StartTime: started + 1}}, Stopped},
		{"pid reused, fifo left", 42, fakeProbe{stat: proc.Stat{State: 'R', StartTime: started - 1}, fifoErr: nil}, Stopped},
		{"created", 42, fakeProbe{stat: alive}, Created},
		{"created, fifo unreadable", 42, fakeProbe{stat: alive, fifoErr: unix.EACCES}, Created},
		{"created and frozen", 42, fakeProbe{stat: alive, frozen: true}, Created},
		{"running", 42, fakeProbe{stat: alive, fifoErr: gone}, Running},
		{"running, blocked in D state", 42, fakeProbe{stat: proc.Stat{State: 'D', StartTime: started}, fifoErr: gone}, Running},
		{"paused", 42, fakeProbe{stat: alive, fifoErr: gone, frozen: true}, Paused},
		{"freezer unreadable", 42, fakeProbe{stat: alive, fifoErr: gone, frozen: true, frozenErr: errors.New("no cgroup")}, Running},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &state.State{Summary: state.Summary{InitStartTime: started}}
			st.Pid = tt.pid
			if got := deriveStatus(tt.probe, st); got != tt.want {
				t.Errorf("deriveStatus = %s, want %s", got, tt.want)
			}
		})
	}
}
