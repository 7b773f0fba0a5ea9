package charset

// Unchecked makes a UTF8 of bytes ToUTF8 never read, which only a test
// can: it proves that a stage taking a UTF8 neither checks nor converts
// it again (once_test.go).
func Unchecked(b []byte) UTF8 { return UTF8{b} }
