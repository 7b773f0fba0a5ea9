package refresh

// SetWaitingBytes sets waitingBytes until the returned func restores it.
func SetWaitingBytes(n int64) (restore func()) {
	old := waitingBytes
	waitingBytes = n
	return func() { waitingBytes = old }
}

// SetFlushBytes sets flushBytes until the returned func restores it.
func SetFlushBytes(n int64) (restore func()) {
	old := flushBytes
	flushBytes = n
	return func() { flushBytes = old }
}
