package main

import (
	"github.com/jeton/jeton/dialect/abbeycross/abbeycrossmod" // vendor:abbeycross
	"github.com/jeton/jeton/dialect/candescent/candescentmod" // vendor:candescent
	"github.com/jeton/jeton/dialect/cardcore/cardcoremod"     // vendor:cardcore
	"github.com/jeton/jeton/module"
)

// vendorModules are the vendors this binary serves, each wired the same way through
// module.Module; they mount in this order after the standard dialect. Removing a
// vendor is deleting its package and its two lines marked "vendor:<name>" here
// (.ci/vendor-removal proves the rest still builds and passes).
func vendorModules() []module.Module {
	return []module.Module{
		cardcoremod.New(),   // vendor:cardcore
		candescentmod.New(), // vendor:candescent
		abbeycrossmod.New(), // vendor:abbeycross
	}
}
