package cloudfront

import (
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// The KeyValueStore operations of the CloudFront API (2020-05-31), which
// address a store by name. A store is READY as soon as it is made: there
// is nothing to provision locally, and a client that waits for READY (as
// terraform-provider-aws does) sees it at once.

const kvsStatusReady = "READY"

type createKeyValueStoreRequest struct {
	Name         *string
	Comment      *string
	ImportSource *types.ImportSource
	Tags         *types.Tags
}

type updateKeyValueStoreRequest struct {
	Comment *string
}

func errEntityNotFound(name string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "EntityNotFound", Message: fmt.Sprintf("The key value store %s does not exist.", name)}
}

func errEntityAlreadyExists(name string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "EntityAlreadyExists", Message: fmt.Sprintf("A key value store with the name %s already exists.", name)}
}

func errEntityLimitExceeded(limit int) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "EntityLimitExceeded", Message: fmt.Sprintf(
		"You have reached the maximum number of key value stores (%d) for this account.", limit)}
}

func errKVSInUse(name string, users []string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "CannotDeleteEntityWhileInUse", Message: fmt.Sprintf(
		"Cannot delete key value store %s, it is associated with %d function(s): %s; remove it from their KeyValueStoreAssociations (UpdateFunction) and publish them first",
		name, len(users), strings.Join(users, ", "))}
}

func checkKVSComment(c *string) error {
	if c != nil && len(*c) > 128 {
		return errInvalidArgument("the comment is %d characters; the limit is 128", len(*c))
	}
	return nil
}

func (s *Server) createKeyValueStore(c *call) error {
	req, _, err := decodeInto[createKeyValueStoreRequest](c.r.Body, "CreateKeyValueStoreRequest")
	if err != nil {
		return err
	}
	if req.Name == nil || !nameRE.MatchString(*req.Name) {
		return errInvalidArgument("the key value store name must match [a-zA-Z0-9-_]{1,64}")
	}
	if err := checkKVSComment(req.Comment); err != nil {
		return err
	}
	if req.ImportSource != nil {
		return &apiError{Code: "UnsupportedOperation", Message: "ImportSource (creating a key value store from an S3 file) is not supported by the local CloudFront: " +
			"create the store without it, then write its keys with the cloudfront-keyvaluestore API (PutKey or UpdateKeys)"}
	}
	if _, err := checkTags(req.Tags); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := *req.Name
	if s.kvs[name] != nil {
		return errEntityAlreadyExists(name)
	}
	if len(s.kvs) >= maxKVSPerAccount {
		return errEntityLimitExceeded(maxKVSPerAccount)
	}
	now := s.now().UTC()
	id := newRequestID() // a UUID, the shape of a store's id
	st := &kvStore{Name: name, ID: id, ARN: s.kvsARN(id), Comment: deref(req.Comment), ETag: newID(), Created: now, Modified: now,
		DataETag: newID(), Data: &kvsContents{Items: map[string]string{}, Since: now}}
	s.kvs[name] = st
	s.saveLocked()
	c.w.Header().Set("Location", s.Endpoint+"/"+APIVersion+"/key-value-store/"+url.PathEscape(name))
	return c.reply(http.StatusCreated, st.ETag, kvsDocument(st))
}

// kvsNamed returns the store named in the path. s.mu must be held.
func (s *Server) kvsNamed(c *call) (*kvStore, error) {
	name, _ := url.PathUnescape(c.arg)
	st := s.kvs[name]
	if st == nil {
		return nil, errEntityNotFound(name)
	}
	return st, nil
}

func (s *Server) describeKeyValueStore(c *call) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, err := s.kvsNamed(c)
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, st.ETag, kvsDocument(st))
}

func (s *Server) updateKeyValueStore(c *call) error {
	etag, req, err := ifMatchBody[updateKeyValueStoreRequest](c, "UpdateKeyValueStoreRequest")
	if err != nil {
		return err
	}
	if req.Comment == nil {
		return errMalformedXML("UpdateKeyValueStoreRequest needs a Comment")
	}
	if err := checkKVSComment(req.Comment); err != nil {
		return err
	}
	return s.writeKVS(c, etag, nil, func(st *kvStore) error {
		st.Comment, st.ETag, st.Modified = *req.Comment, newID(), s.now().UTC()
		s.saveLocked()
		return c.reply(http.StatusOK, st.ETag, kvsDocument(st))
	})
}

func (s *Server) deleteKeyValueStore(c *call) error {
	etag, err := c.ifMatch()
	if err != nil {
		return err
	}
	inUse := func(st *kvStore) error {
		// A function that associates the store, in its DEVELOPMENT stage,
		// its LIVE stage or an earlier LIVE stage the edge may still run,
		// holds it (AWS: CannotDeleteEntityWhileInUse, 409).
		if users := s.kvsUsers(st.ARN); len(users) > 0 {
			return errKVSInUse(st.Name, users)
		}
		return nil
	}
	return s.writeKVS(c, etag, inUse, func(st *kvStore) error {
		delete(s.kvs, st.Name)
		s.saveLocked()
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// writeKVS runs write, under s.mu held for writing, on the store named in
// the path once check (if any) passes and etag is the store's ETag, the
// order in which CloudFront checks a write (as writeDev for a function).
func (s *Server) writeKVS(c *call, etag string, check func(*kvStore) error, write func(*kvStore) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.kvsNamed(c)
	if err == nil && check != nil {
		err = check(st)
	}
	if err == nil {
		err = checkETag(etag, st.ETag)
	}
	if err != nil {
		return err
	}
	return write(st)
}

func (s *Server) listKeyValueStores(c *call) error {
	q := c.r.URL.Query()
	maxItems, err := parseMaxItems(q.Get("MaxItems"))
	if err != nil {
		return err
	}
	status := q.Get("Status")
	s.mu.RLock()
	defer s.mu.RUnlock()
	var rows []kvsXML
	for _, name := range slices.Sorted(maps.Keys(s.kvs)) {
		if status == "" || status == kvsStatusReady {
			rows = append(rows, kvsDocument(s.kvs[name]))
		}
	}
	page, next := paginate(rows, q.Get("Marker"), maxItems, func(r kvsXML) string { return r.Name })
	list := kvsList{Xmlns: Namespace, NextMarker: next, MaxItems: maxItems, Quantity: len(page)}
	if len(page) > 0 {
		for i := range page {
			page[i].Xmlns = ""
		}
		list.Items = &kvsItems{page}
	}
	return c.reply(http.StatusOK, "", list)
}

func kvsDocument(st *kvStore) kvsXML {
	return kvsXML{Xmlns: Namespace, Name: st.Name, ID: st.ID, Comment: st.Comment, ARN: st.ARN, Status: kvsStatusReady,
		LastModifiedTime: timestamp(st.Modified)}
}

// XML documents of the KeyValueStore operations (API_KeyValueStore,
// API_KeyValueStoreList).
type (
	kvsXML struct {
		XMLName          xml.Name `xml:"KeyValueStore"`
		Xmlns            string   `xml:"xmlns,attr,omitempty"`
		Name             string
		ID               string `xml:"Id"`
		Comment          string
		ARN              string
		Status           string
		LastModifiedTime string
	}
	kvsList struct {
		XMLName    xml.Name `xml:"KeyValueStoreList"`
		Xmlns      string   `xml:"xmlns,attr"`
		NextMarker string   `xml:",omitempty"`
		MaxItems   int
		Quantity   int
		Items      *kvsItems `xml:",omitempty"`
	}
	kvsItems struct {
		Stores []kvsXML `xml:"KeyValueStore"`
	}
)
