package clientcache

// SetMaxEntries lowers the bound so the bound test needs few store reads.
func SetMaxEntries(c *Cache, n int) { c.SetMaxEntries(n) }
