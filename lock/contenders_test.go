package lock

import (
	"strings"
	"testing"
)

// TestEveryRecipeQueuesBySequence: one queue, in sequence order, whoever
// wrote each contender; children that are no recipe's contender (records,
// strays) neither block nor get watched.
func TestEveryRecipeQueuesBySequence(t *testing.T) {
	children := []string{
		"_c_0123456789abcdef0123456789abcdef-lock-0000000007", // zoo-locked / go-zookeeper
		"stray",
		"runs",
		"3f2a9c0e1b7d4e5f8a6b2c1d0e9f8a7b__lock__0000000003",      // kazoo
		"x-0000012345abcdef-0000000005",                           // C recipe
		"_c_6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f-lock-0000000004", // Curator, protected
		"lock-0000000009",           // Curator
		"worker__rlock__0000000002", // only with the pattern
		"_c_ffff-lock-notasequence",
	}
	got := Contenders{}.Order(children)
	want := []string{
		"3f2a9c0e1b7d4e5f8a6b2c1d0e9f8a7b__lock__0000000003",
		"_c_6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f-lock-0000000004",
		"x-0000012345abcdef-0000000005",
		"_c_0123456789abcdef0123456789abcdef-lock-0000000007",
		"lock-0000000009",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("queue\n got %v\nwant %v", got, want)
	}
	withPattern := Contenders{Extra: []string{"__rlock__"}}.Order(children)
	if len(withPattern) != len(want)+1 || withPattern[0] != "worker__rlock__0000000002" {
		t.Fatalf("with --contender-pattern __rlock__: %v", withPattern)
	}
}

func TestRecipeNamedForStatus(t *testing.T) {
	for name, want := range map[string]string{
		"3f2a9c0e1b7d4e5f8a6b2c1d0e9f8a7b__lock__0000000003":      RecipeKazoo,
		"x-0000012345abcdef-0000000005":                           "ZooKeeper C recipe, session 0x12345abcdef",
		"_c_6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f-lock-0000000004": RecipeCurator,
		"lock-0000000009": RecipeCurator,
		"_c_0123456789abcdef0123456789abcdef-lock-0000000007": RecipeGoZK,
		"worker__rlock__0000000002":                           RecipePattern,
	} {
		if got := (Contenders{}).Describe(name); got != want {
			t.Errorf("Describe(%s) = %q, want %q", name, got, want)
		}
	}
}

// TestOurNameIsEveryRecipesContender checks the name we give our contender
// against each recipe's ordering rule: Curator's (the text after the last
// "lock-"), the C recipe's (the text after the last '-'), and kazoo's with
// extra_lock_patterns ["-lock-"] (a pattern then ten digits at the end).
func TestOurNameIsEveryRecipesContender(t *testing.T) {
	ours := contenderPrefix + "0123456789abcdef0123456789abcdef" + "-lock-" + "0000000042"
	if i := strings.LastIndex(ours, "lock-"); ours[i+len("lock-"):] != "0000000042" {
		t.Errorf("Curator would order %s by %q", ours, ours[i+len("lock-"):])
	}
	if i := strings.LastIndexByte(ours, '-'); ours[i+1:] != "0000000042" {
		t.Errorf("the C recipe would order %s by %q", ours, ours[i+1:])
	}
	if !strings.HasSuffix(ours[:len(ours)-seqDigits], "-lock-") {
		t.Errorf("kazoo's extra_lock_patterns [\"-lock-\"] would not match %s", ours)
	}
}

func TestContenderPatternValidated(t *testing.T) {
	for _, bad := range []string{"", "a/b", "has blank"} {
		if ValidateContenderPattern(bad) == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
	if err := ValidateContenderPattern("__rlock__"); err != nil {
		t.Error(err)
	}
}
