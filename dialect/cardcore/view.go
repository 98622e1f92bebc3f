package cardcore

import (
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
)

// appView is an application as CardCore answers it, plus clientId (jeton's addition:
// the vendor shows the client ID only on its dashboard) and the URLs.
type appView struct {
	RecordID      string   `json:"_id"`
	ID            string   `json:"id"`
	Institution   string   `json:"institution"`
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	RedirectURI   []string `json:"redirectUri"`
	IsVerified    bool     `json:"isVerified"`
	IsOfficial    bool     `json:"isOfficial"`
	InstitutionID string   `json:"institutionId"`
	Subject       string   `json:"subject"`
	Scopes        []string `json:"scopes"`
	GrantType     string   `json:"grantType"`
	IsDeleted     bool     `json:"isDeleted"`
	CreatedBy     string   `json:"createdBy"`
	CreatedAt     string   `json:"createdAt"`
	UpdatedAt     string   `json:"updatedAt"`
	ClientID      string   `json:"clientId"`
	WebsiteURL    string   `json:"websiteUrl"`
	IconURL       string   `json:"iconUrl"`
}

// isoMillis is the timestamp shape of CardCore's records (ISO 8601, milliseconds, Z).
const isoMillis = "2006-01-02T15:04:05.000Z07:00"

func viewOf(c jeton.Client, a cardcorestore.App) appView {
	redirect := c.RedirectURIs
	if redirect == nil {
		redirect = []string{}
	}
	return appView{
		RecordID: a.RecordID, ID: a.RecordID, Institution: a.InstitutionRecordID, Name: c.Name,
		Description: a.Description, RedirectURI: redirect, IsVerified: a.IsVerified,
		IsOfficial: a.IsOfficial, InstitutionID: a.Key, Subject: a.Subject, Scopes: c.Scopes,
		GrantType: jeton.GrantClientCredentials, IsDeleted: a.Deleted, CreatedBy: a.CreatedBy,
		CreatedAt: a.CreatedAt.UTC().Format(isoMillis), UpdatedAt: a.UpdatedAt.UTC().Format(isoMillis),
		ClientID: c.ID, WebsiteURL: a.WebsiteURL, IconURL: a.IconURL,
	}
}
