//go:build !linux

package atomictree

import "errors"

func mount(source, target, fstype string, flags uintptr) error { return errors.ErrUnsupported }

func unmount(target string) error { return errors.ErrUnsupported }
