//#region assets/build/routes.json
var guancha = {
	"routes": {
		"/headline": {
			"path": "/headline",
			"categories": [
				"new-media"
			],
			"example": "/guancha/headline",
			"parameters": {},
			"features": {
				"requireConfig": false,
				"requirePuppeteer": false,
				"antiCrawler": false
			},
			"name": "头条",
			"maintainers": [
				"nczitzk"
			],
			"location": "headline.ts"
		},
		"/topic/:id/:order?": {
			"path": "/topic/:id/:order?",
			"categories": [
				"new-media"
			],
			"example": "/guancha/topic/110/1",
			"parameters": {
				"id": "话题 id",
				"order": "排序"
			},
			"features": {
				"requireConfig": false,
				"requirePuppeteer": false,
				"antiCrawler": false
			},
			"name": "风闻话题"
		},
		"/:category?": {
			"path": "/:category?",
			"categories": [
				"new-media"
			],
			"example": "/guancha",
			"parameters": {
				"category": "分类"
			},
			"features": {},
			"name": "首页"
		}
	},
	"name": "Guancha",
	"url": "guancha.cn",
	"lang": "zh-CN",
	"zh": {
		"name": "观察者网"
	}
};
var oschina = {
	"routes": {
		"/news/:category?": {
			"path": "/news/:category?",
			"categories": [
				"popular",
				"programming"
			],
			"example": "/oschina/news",
			"parameters": {
				"category": "板块名"
			},
			"features": {
				"requireConfig": false,
				"requirePuppeteer": false,
				"antiCrawler": false
			},
			"name": "资讯"
		}
	},
	"name": "开源中国",
	"url": "oschina.net",
	"lang": "zh-CN"
};
var _36kr = {
	"routes": {
		"/newsflashes": {
			"path": "/newsflashes",
			"example": "/36kr/newsflashes",
			"features": {},
			"name": "快讯"
		},
		"/hot-list/:category?": {
			"path": "/hot-list/:category?",
			"categories": [
				"new-media"
			],
			"example": "/36kr/hot-list",
			"features": {
				"antiCrawler": true
			},
			"name": "热榜"
		}
	},
	"name": "36kr",
	"url": "36kr.com",
	"categories": [
		"finance"
	],
	"lang": "zh-CN"
};
var gov_pbc = {
	"routes": {
		"/goutongjiaoliu": {
			"path": "/goutongjiaoliu",
			"example": "/gov/pbc/goutongjiaoliu",
			"features": {},
			"name": "沟通交流"
		},
		"/tradeAnnouncement": {
			"path": "/tradeAnnouncement",
			"categories": [
				"finance"
			],
			"example": "/gov/pbc/tradeAnnouncement",
			"features": {
				"requirePuppeteer": true
			},
			"name": "公开市场业务交易公告"
		}
	},
	"name": "中国人民银行",
	"url": "pbc.gov.cn",
	"lang": "zh-CN"
};
var twitter = {
	"routes": {
		"/user/:id/:routeParams?": {
			"path": "/user/:id/:routeParams?",
			"categories": [
				"social-media",
				"popular"
			],
			"example": "/twitter/user/_RSSHub",
			"features": {
				"requireConfig": [
					{
						"name": "TWITTER_AUTH_TOKEN",
						"description": "token"
					}
				]
			},
			"name": "User timeline"
		}
	},
	"name": "X (Twitter)",
	"url": "x.com",
	"lang": "en"
};
var konachan = {
	"routes": {
		"/post/popular_recent/:period?": {
			"path": [
				"/post/popular_recent/:period?",
				"/sfw/post/popular_recent/:period?"
			],
			"categories": [
				"picture"
			],
			"example": "/konachan/post/popular_recent/1d",
			"features": {},
			"name": "Popular Recent Posts"
		}
	},
	"name": "Konachan Anime Wallpapers",
	"url": "konachan.com",
	"lang": "en"
};
var v2ex = {
	"routes": {
		"/topics/:type": {
			"path": "/topics/:type",
			"categories": [
				"bbs"
			],
			"example": "/v2ex/topics/latest",
			"features": {},
			"name": "最热 / 最新主题"
		}
	},
	"name": "V2EX",
	"url": "v2ex.com",
	"lang": "zh-CN"
};
var nocat = {
	"routes": {
		"/list": {
			"path": "/list",
			"example": "/nocat/list",
			"features": {},
			"name": "列表"
		}
	},
	"name": "无分类",
	"url": "example.com"
};
var juejin = {
	"routes": {
		"/category/:category": {
			"path": "/category/:category",
			"categories": [
				"programming"
			],
			"example": "/juejin/category/frontend",
			"features": {},
			"name": "分类"
		},
		"/trending/:category/:type": {
			"path": "/trending/:category/:type",
			"categories": [
				"programming"
			],
			"example": "/juejin/trending/all/monthly",
			"features": {},
			"name": "热门"
		}
	},
	"name": "掘金",
	"url": "juejin.cn",
	"lang": "zh-CN"
};
var routes_default = {
	"guancha": guancha,
	"oschina": oschina,
	"36kr": _36kr,
	"gov/pbc": gov_pbc,
	"twitter": twitter,
	"konachan": konachan,
	"v2ex": v2ex,
	"nocat": nocat,
	"juejin": juejin
};

//#endregion
export { guancha, oschina, _36kr as "36kr", gov_pbc as "gov/pbc", twitter, konachan, v2ex, nocat, juejin, routes_default as default };
