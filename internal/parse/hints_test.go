package parse

import (
	"testing"
	"time"
)

func TestUpdateHints(t *testing.T) {
	const item = `<item><title>a</title><link>https://example.com/a</link></item>`
	tests := []struct {
		name       string
		doc        string
		ttl, every time.Duration
	}{
		{"rss ttl in minutes", `<rss version="2.0"><channel><title>t</title><ttl>60</ttl>` + item + `</channel></rss>`, time.Hour, 0},
		{"rss without hints", `<rss version="2.0"><channel><title>t</title>` + item + `</channel></rss>`, 0, 0},
		{"rss ttl garbage", `<rss version="2.0"><channel><title>t</title><ttl>soon</ttl>` + item + `</channel></rss>`, 0, 0},
		{"rss ttl absurd", `<rss version="2.0"><channel><title>t</title><ttl>99999999999</ttl>` + item + `</channel></rss>`, maxHint, 0},
		{"sy hourly twice", `<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>
<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>` + item + `</channel></rss>`, 0, 30 * time.Minute},
		{"sy period only", `<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>
<sy:updatePeriod>daily</sy:updatePeriod>` + item + `</channel></rss>`, 0, 24 * time.Hour},
		{"sy frequency only means daily", `<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>
<sy:updateFrequency>4</sy:updateFrequency>` + item + `</channel></rss>`, 0, 6 * time.Hour},
		{"sy unknown period", `<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>
<sy:updatePeriod>fortnightly</sy:updatePeriod>` + item + `</channel></rss>`, 0, 0},
		{"rss 1.0 with sy and ttl-free", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel><title>t</title><link>https://example.com/</link><sy:updatePeriod>weekly</sy:updatePeriod></channel>
<item><title>a</title><link>https://example.com/a</link></item></rdf:RDF>`, 0, 7 * 24 * time.Hour},
		{"atom has neither", `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>a</title><id>x</id></entry></feed>`, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.doc), "https://example.com/feed", time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if f.TTL != tt.ttl || f.UpdatePeriod != tt.every {
				t.Errorf("TTL, UpdatePeriod = %v, %v; want %v, %v", f.TTL, f.UpdatePeriod, tt.ttl, tt.every)
			}
			if len(f.Items) != 1 {
				t.Errorf("%d items, want 1", len(f.Items))
			}
		})
	}
}
