package hostcheck

import "testing"

func TestHosts(t *testing.T) {
	for host, want := range map[string][2]bool{ // Loopback, CloudFrontLocal
		"127.0.0.1":                       {true, false},
		"127.0.0.1:4580":                  {true, false},
		"127.255.0.9:1":                   {true, false},
		"localhost":                       {true, false},
		"LocalHost.:80":                   {true, false},
		"[::1]:4581":                      {true, false},
		"::1":                             {true, false},
		"[::ffff:127.0.0.1]:80":           {true, false},
		"E1ABC.cloudfront.local:4581":     {false, true},
		"e1abc.cloudfront.local.":         {false, true},
		"":                                {false, false},
		"evil.example":                    {false, false},
		"evil.example:4580":               {false, false},
		"127.0.0.1.evil.example":          {false, false},
		"localhost.evil.example":          {false, false},
		"x.cloudfront.local.evil.example": {false, false},
		".cloudfront.local":               {false, false},
		"cloudfront.local":                {false, false},
		"10.0.0.1":                        {false, false},
		"0.0.0.0":                         {false, false},
		"[::]:80":                         {false, false},
		"2130706433":                      {false, false}, // 127.0.0.1 as a number: not a name this machine gives out
		"d111111abcdef8.cloudfront.net":   {false, false},
	} {
		if got := [2]bool{Loopback(host), CloudFrontLocal(host)}; got != want {
			t.Errorf("%q: Loopback %v, CloudFrontLocal %v; want %v", host, got[0], got[1], want)
		}
	}
}
