package adminapi

// CandescentUpdate changes an institution's Candescent settings; nil fields are left
// as they are. Alias "" removes the alias.
type CandescentUpdate struct {
	Alias     *string `json:"alias,omitempty"`
	V1Enabled *bool   `json:"v1_enabled,omitempty"`
}

// LinkInput links a minter (the client in the path) to the client it may mint
// authorization codes for.
type LinkInput struct {
	ClientID string `json:"client_id"`
}
