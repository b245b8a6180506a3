// Package rawfile reads whole files the way a configuration tree is read:
// one open that follows no link, one fstat, one read, one close. Trees have
// tens of thousands of small files, and an os.File costs more per file
// (poller registration, finalizer) than reading it does.
package rawfile
