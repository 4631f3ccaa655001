//go:build unix

package stack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockState takes an exclusive lock on path+".lock" for as long as the
// returned file is open: two stacks on one state file would each move the
// other's state aside and overwrite it.
func lockState(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("the local CloudFront's state directory: %w", err)
	}
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the local CloudFront's state %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another local stack (make local) is running on the state file %s: stop it, or give this one its own with -state", path)
		}
		return nil, fmt.Errorf("locking the local CloudFront's state %s: %w", path, err)
	}
	return f, nil
}
