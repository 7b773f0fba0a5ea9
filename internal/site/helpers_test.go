package site_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/feed"
	"github.com/feedmill/feedmill/internal/store/sqlite"
)

// fixture is a store with Chinese news items in three channels of two
// groups.
type fixture struct {
	st      *sqlite.Store
	path    string
	sources []feed.Source
	ids     []int64
	now     time.Time
	imgBase string // where test images are served
}

var testSources = []feed.Source{
	{Group: "新媒体", Name: "观察者网", Channel: "头条"},
	{Group: "新媒体", Name: "观察者网", Channel: "国际"},
	{Group: "传统媒体", Name: "人民日报", Channel: "要闻"},
}

func newFixture(t *testing.T, imgBase string) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "feedmill.db")
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, path: path, now: time.Date(2024, 5, 20, 8, 0, 0, 0, time.UTC), imgBase: imgBase}
	for i, s := range testSources {
		s.URL = fmt.Sprintf("https://rsshub.example/route/%d?key=secret123", i)
		row, err := st.EnsureSource(t.Context(), s)
		if err != nil {
			t.Fatal(err)
		}
		f.sources = append(f.sources, s)
		f.ids = append(f.ids, row.ID)
	}
	return f
}

var headlines = []string{
	"美方书面拒绝“不东扩红线”，德法俄乌巴黎会谈8小时",
	"国家统计局：4月份国民经济运行稳中有进",
	"长江流域进入主汛期，多地启动防汛应急响应",
	"嫦娥六号完成月背采样，样品封装存放",
	"高校毕业生就业服务行动启动",
	"全国铁路迎来客流高峰，单日发送旅客超千万人次",
	"科学家发现新的古生物化石群",
	"新能源汽车出口量同比增长",
}

// add stores n items in source i, one hour apart, the newest at
// f.now + offset.
func (f *fixture) add(t *testing.T, i, n int, offset time.Duration, tag string) {
	t.Helper()
	var items []feed.Item
	for k := range n {
		title := headlines[(k+i)%len(headlines)] + " " + tag + fmt.Sprint(k)
		body := fmt.Sprintf(`<p>新华社北京5月20日电 %s。这是第%d条测试新闻的正文，内容包含中文与English混排。</p>`, title, k)
		if k%2 == 0 && f.imgBase != "" {
			body += fmt.Sprintf(`<p><img src="%s/img/%d.png" alt="配图"></p>`, f.imgBase, k%4)
		}
		body += `<p>第二段：记者从有关部门获悉，相关工作正在有序推进。</p>`
		items = append(items, feed.Item{
			GUID: fmt.Sprintf("%s-%d-%d", tag, i, k), Link: fmt.Sprintf("https://news.example/%s/%d/%d.html", tag, i, k),
			Title: title, Content: body, Published: f.now.Add(offset - time.Duration(n-1-k)*time.Hour),
		})
	}
	if _, err := f.st.InsertItems(context.Background(), f.ids[i], items, 0, nil, f.now.Add(offset+time.Minute)); err != nil {
		t.Fatal(err)
	}
}
