package imgproxy

// Sharing reports how many requests share the fetch of raw in flight.
func (h *Handler) Sharing(raw string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.inflight[raw]; c != nil {
		return c.refs
	}
	return 0
}
