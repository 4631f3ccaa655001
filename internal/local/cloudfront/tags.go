package cloudfront

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// Tagging: ListTagsForResource (GET tagging?Resource=<arn>), TagResource
// and UntagResource (POST tagging?Operation=Tag|Untag&Resource=<arn>),
// for distributions and functions, the taggable resources this emulator
// keeps. Shapes: botocore service-2.json (Tags, Tag, TagKeys,
// TagResourceRequest, UntagResourceRequest, ListTagsForResourceResult).

// Tag bounds, from the API reference (Tag, TagKey, TagValue: key 1-128
// characters, value 0-256, 50 tags a resource).
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

func errNoSuchResource(arn string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "NoSuchResource", Message: fmt.Sprintf("The specified resource %s does not exist.", arn)}
}

func errInvalidTagging(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "InvalidTagging", Message: fmt.Sprintf(format, args...)}
}

// taggable returns the tags of the resource arn names. s.mu must be held.
func (s *Server) taggable(arn string) (*map[string]string, error) {
	if arn == "" {
		return nil, errInvalidArgument("the Resource query parameter (the resource's ARN) is required")
	}
	prefix := "arn:aws:cloudfront::" + s.cfg.AccountID + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return nil, errInvalidArgument("%s is not the ARN of a CloudFront resource of account %s", arn, s.cfg.AccountID)
	}
	kind, id, _ := strings.Cut(rest, "/")
	switch kind {
	case "distribution":
		if d := s.dists[id]; d != nil {
			return &d.Tags, nil
		}
	case "function":
		if f := s.functions[id]; f != nil {
			return &f.Tags, nil
		}
	}
	return nil, errNoSuchResource(arn)
}

// checkTags checks tags as CloudFront does, and returns them as a map.
func checkTags(tags *types.Tags) (map[string]string, error) {
	m := map[string]string{}
	if tags == nil {
		return m, nil
	}
	for _, t := range tags.Items {
		k, v := deref(t.Key), deref(t.Value)
		if k == "" || len(k) > maxTagKeyLen || len(v) > maxTagValueLen || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, errInvalidTagging("the tag %q=%q is not valid: keys are 1 to 128 characters, not starting with aws:, values up to 256", k, v)
		}
		m[k] = v
	}
	return m, nil
}

// mergeTags adds add to *into, within the quota.
func mergeTags(into *map[string]string, add map[string]string) error {
	merged := maps.Clone(*into)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, add)
	if len(merged) > maxTags {
		return errInvalidTagging("a resource can have at most %d tags; this would make %d", maxTags, len(merged))
	}
	if len(merged) == 0 {
		merged = nil
	}
	*into = merged
	return nil
}

func (s *Server) listTags(c *call) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	tags, err := s.taggable(c.r.URL.Query().Get("Resource"))
	if err != nil {
		return err
	}
	return c.replyRaw(http.StatusOK, "", tagsXML(*tags))
}

// tagsXML is the Tags document ListTagsForResource answers, keys sorted.
func tagsXML(tags map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader + `<Tags xmlns="` + Namespace + `"><Items>`)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		b.WriteString("<Tag>")
		leaf(&b, "Key", k)
		leaf(&b, "Value", tags[k])
		b.WriteString("</Tag>")
	}
	b.WriteString("</Items></Tags>")
	return b.Bytes()
}

func (s *Server) tagResource(c *call) error {
	req, _, err := decodeInto[types.Tags](c.r.Body, "Tags")
	if err != nil {
		return err
	}
	add, err := checkTags(req)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tags, err := s.taggable(c.r.URL.Query().Get("Resource"))
	if err == nil {
		err = mergeTags(tags, add)
	}
	if err != nil {
		return err
	}
	s.saveLocked()
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) untagResource(c *call) error {
	req, _, err := decodeInto[types.TagKeys](c.r.Body, "TagKeys")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tags, err := s.taggable(c.r.URL.Query().Get("Resource"))
	if err != nil {
		return err
	}
	for _, k := range req.Items {
		delete(*tags, k)
	}
	if len(*tags) == 0 {
		*tags = nil
	}
	s.saveLocked()
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
