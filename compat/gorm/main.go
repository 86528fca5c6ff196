// GORM used as its users do: AutoMigrate (information_schema/pg_catalog checks, CREATE
// TABLE, indexes, foreign keys), Create with RETURNING, Save/Updates, upserts through
// clause.OnConflict, transactions, and the Migrator's HasTable/HasColumn/ColumnTypes.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

type Author struct {
	ID    uint   `gorm:"primaryKey"`
	Name  string `gorm:"size:50;uniqueIndex;not null"`
	Books []Book
}

type Book struct {
	ID        int64 `gorm:"primaryKey"`
	AuthorID  uint  `gorm:"index;not null"`
	Title     string
	Price     float64 `gorm:"type:numeric(10,2)"`
	Published time.Time
	Done      bool `gorm:"default:false"`
}

func emit(s string, ok any, msg string) {
	if len(msg) > 400 {
		msg = msg[:400]
	}
	b, _ := json.Marshal(map[string]any{"scenario": s, "ok": ok, "message": msg})
	fmt.Println(string(b))
}

func main() {
	e := os.Getenv
	dsn := fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=%s sslmode=disable connect_timeout=30",
		e("PGHOST"), e("PGPORT"), e("PGUSER"), e("PGPASSWORD"), e("PGDATABASE"))
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		emit("connect", false, err.Error())
		os.Exit(0)
	}
	emit("connect", true, "")
	run := func(name string, fn func() []string) {
		out := fn()
		emit(name, len(out) == 0, strings.Join(out, "; "))
	}
	one := func(err error) []string {
		if err != nil {
			return []string{err.Error()}
		}
		return nil
	}
	run("ddl", func() []string {
		if err := db.Migrator().DropTable(&Book{}, &Author{}); err != nil {
			return one(err)
		}
		return one(db.AutoMigrate(&Author{}, &Book{}))
	})
	run("crud_binary", func() []string {
		a := Author{Name: "ann"}
		if err := db.Create(&a).Error; err != nil {
			return one(err)
		}
		tz := time.FixedZone("+05:30", 5*3600+1800)
		b := Book{AuthorID: a.ID, Title: "t", Price: 12.3, Published: time.Date(2024, 2, 29, 13, 14, 15, 0, tz)}
		if err := db.Create(&b).Error; err != nil {
			return one(err)
		}
		var got Book
		if err := db.First(&got, b.ID).Error; err != nil {
			return one(err)
		}
		var out []string
		if got.Price != 12.3 || !got.Published.Equal(b.Published) || got.Title != "t" || got.Done {
			out = append(out, fmt.Sprintf("got %+v", got))
		}
		r := db.Model(&Book{}).Where("author_id = ?", a.ID).Update("done", true)
		if r.Error != nil || r.RowsAffected != 1 {
			out = append(out, fmt.Sprintf("update %v %d", r.Error, r.RowsAffected))
		}
		return out
	})
	run("on_conflict", func() []string {
		r := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&Author{Name: "ann"})
		if r.Error != nil || r.RowsAffected != 0 {
			return []string{fmt.Sprintf("DO NOTHING %v %d", r.Error, r.RowsAffected)}
		}
		return nil
	})
	run("transactions", func() []string {
		_ = db.Transaction(func(tx *gorm.DB) error { return tx.Create(&Author{Name: "tx1"}).Error })
		_ = db.Transaction(func(tx *gorm.DB) error {
			tx.Create(&Author{Name: "tx2"})
			return errors.New("rollback")
		})
		var n int64
		db.Model(&Author{}).Count(&n)
		if n != 2 {
			return []string{fmt.Sprintf("count %d", n)}
		}
		return nil
	})
	run("errors", func() []string {
		err := db.Create(&Author{Name: "tx1"}).Error
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23505" {
			return []string{fmt.Sprintf("want 23505, got %v", err)}
		}
		var n int64
		if err := db.Model(&Author{}).Count(&n).Error; err != nil || n != 2 {
			return []string{"connection unusable afterwards"}
		}
		return nil
	})
	run("introspection", func() []string {
		m := db.Migrator()
		var out []string
		if !m.HasTable(&Book{}) {
			out = append(out, "HasTable false")
		}
		if !m.HasColumn(&Book{}, "Price") {
			out = append(out, "HasColumn false")
		}
		if !m.HasIndex(&Book{}, "AuthorID") {
			out = append(out, "HasIndex false")
		}
		if _, err := m.ColumnTypes(&Book{}); err != nil {
			out = append(out, "ColumnTypes: "+err.Error())
		}
		return out
	})
}
