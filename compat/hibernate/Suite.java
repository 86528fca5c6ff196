// Hibernate ORM 7 (pgjdbc) used as its users do: annotated entities, hbm2ddl `update` on an
// empty schema (sequence and identity keys, unique, foreign key, index), `update` again with
// an entity that gained a column and then `validate` — both read the schema back through
// pgjdbc's DatabaseMetaData — session CRUD on every scalar type (JSON through Jackson),
// HQL insert … on conflict, JDBC batching, query timeouts (a CancelRequest), and the
// exceptions Hibernate maps from SQLSTATEs.
import jakarta.persistence.*;
import java.math.BigDecimal;
import java.time.*;
import java.util.*;
import org.hibernate.*;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.cfg.Configuration;
import org.hibernate.exception.ConstraintViolationException;
import org.hibernate.type.SqlTypes;

public class Suite {
    static final Map<String, String> E = System.getenv();
    static final String HP = E.get("PGHOST") + ":" + E.get("PGPORT");

    @Entity(name = "Author")
    @Table(name = "hb_author")
    public static class Author {
        @Id @GeneratedValue(strategy = GenerationType.SEQUENCE) public Long id;
        @Column(length = 50, nullable = false, unique = true) public String name;
        public Author() {}
        public Author(String name) { this.name = name; }
    }

    @Entity(name = "Book")
    @Table(name = "hb_book", indexes = @Index(name = "hb_book_title_idx", columnList = "title"))
    public static class Book {
        @Id @GeneratedValue(strategy = GenerationType.IDENTITY) public Long id;
        @ManyToOne(optional = false) @JoinColumn(name = "author_id") public Author author;
        @Column(nullable = false) public String title;
        @Column(precision = 10, scale = 2) public BigDecimal price;
    }

    /** The same table after a schema change: one more column, for `update` to add. */
    @Entity(name = "BookV2")
    @Table(name = "hb_book", indexes = @Index(name = "hb_book_title_idx", columnList = "title"))
    public static class BookV2 {
        @Id @GeneratedValue(strategy = GenerationType.IDENTITY) public Long id;
        @ManyToOne(optional = false) @JoinColumn(name = "author_id") public Author author;
        @Column(nullable = false) public String title;
        @Column(precision = 10, scale = 2) public BigDecimal price;
        @Column(length = 20) public String isbn;
    }

    @Entity(name = "Typed")
    @Table(name = "hb_typed")
    public static class Typed {
        @Id public Integer id;
        public Short i2; public Integer i4; public Long i8; public Double f8;
        @Column(precision = 10, scale = 2) public BigDecimal num;
        @Column(columnDefinition = "text") public String t;
        @Column(length = 20) public String vc;
        public Boolean b;
        public byte[] by;
        public LocalDate d;
        public LocalDateTime ts;
        public OffsetDateTime tstz;
        public UUID u;
        @JdbcTypeCode(SqlTypes.JSON) public Map<String, Object> jb;
    }

    interface Body { List<String> run(Session s) throws Exception; }

    static void emit(String s, Boolean ok, String msg) {
        if (msg == null) msg = "";
        if (msg.length() > 400) msg = msg.substring(0, 400);
        System.out.println("{\"scenario\":\"" + s + "\",\"ok\":" + ok + ",\"message\":\"" +
            msg.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ").replace("\t", " ").replace("\r", " ") + "\"}");
        System.out.flush();
    }

    static SessionFactory factory(String url, String password, String ddl, Class<?>... entities) {
        Configuration cfg = new Configuration();
        for (Class<?> c : entities) cfg.addAnnotatedClass(c);
        cfg.setProperty("hibernate.connection.url", url);
        cfg.setProperty("hibernate.connection.username", E.get("PGUSER"));
        cfg.setProperty("hibernate.connection.password", password);
        cfg.setProperty("hibernate.connection.pool_size", "2");
        cfg.setProperty("hibernate.hbm2ddl.auto", ddl);
        cfg.setProperty("hibernate.jdbc.batch_size", "20");
        cfg.setProperty("hibernate.order_inserts", "true");
        cfg.setProperty("hibernate.show_sql", "false");
        return cfg.buildSessionFactory();
    }

    static String url(String params) {
        return "jdbc:postgresql://" + HP + "/" + E.get("PGDATABASE") + "?connectTimeout=30&" + params;
    }

    static SessionFactory main;

    /** The SQLSTATE and constraint of the first JDBC/Hibernate exception in the chain. */
    static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JDBCException j && j.getSQLState() != null) return j.getSQLState();
            if (t instanceof java.sql.SQLException q && q.getSQLState() != null) return q.getSQLState();
        }
        return "none: " + e;
    }

    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) root = root.getCause();
        return sqlState(e) + " " + e.getClass().getSimpleName() + ": " + root.getMessage();
    }

    static void check(List<String> out, String name, boolean ok, Object got) {
        if (!ok) out.add(name + ": got " + got);
    }

    static void run(String name, Body b) {
        if (main == null) { emit(name, false, "no session factory"); return; }
        try (Session s = main.openSession()) {
            List<String> out = b.run(s);
            emit(name, out.isEmpty(), String.join("; ", out));
        } catch (Throwable e) {
            emit(name, false, describe(e));
        }
    }

    static void connectWith(String name, String params, String password) {
        try (SessionFactory f = factory(url(params), password, "none", Author.class);
             Session s = f.openSession()) {
            Object one = s.createNativeQuery("SELECT 1", Integer.class).getSingleResult();
            if (password.equals("wrong")) emit(name, false, "connected with a wrong password");
            else emit(name, Integer.valueOf(1).equals(one), "got " + one);
        } catch (Throwable e) {
            if (password.equals("wrong")) emit(name, "28P01".equals(sqlState(e)), describe(e));
            else emit(name, false, describe(e));
        }
    }

    static void inTx(Session s, java.util.function.Consumer<Session> body) {
        Transaction t = s.beginTransaction();
        try { body.accept(s); t.commit(); } catch (RuntimeException e) { if (t.isActive()) t.rollback(); throw e; }
    }

    public static void main(String[] args) {
        java.util.logging.Logger.getLogger("org.hibernate").setLevel(java.util.logging.Level.SEVERE);
        String plain = "sslmode=disable";
        connectWith("tls_require", "sslmode=require", E.get("PGPASSWORD"));
        connectWith("tls_verify_full", "sslmode=verify-full&sslrootcert=" + E.get("COMPAT_CA"), E.get("PGPASSWORD"));
        connectWith("wrong_password", plain, "wrong");
        connectWith("multihost", "sslmode=disable&targetServerType=primary", E.get("PGPASSWORD"));
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url(plain), E.get("PGUSER"), E.get("PGPASSWORD"));
             java.sql.Statement st = c.createStatement()) {
            for (String t : new String[] {"hb_book", "hb_typed", "hb_author"}) st.execute("DROP TABLE IF EXISTS " + t + " CASCADE");
            st.execute("DROP SEQUENCE IF EXISTS hb_author_seq");
            main = factory(url(plain), E.get("PGPASSWORD"), "update", Author.class, Book.class, Typed.class);
            emit("connect", true, "");
            emit("ddl", true, "");
        } catch (Throwable e) {
            emit("connect", false, describe(e));
            emit("ddl", false, describe(e));
        }
        run("server_info", s -> {
            Object[] r = s.createNativeQuery("SELECT version(), current_schema(), current_database()", Object[].class).getSingleResult();
            List<String> out = new ArrayList<>();
            check(out, "version", r[0].toString().startsWith("PostgreSQL 1"), r[0]);
            check(out, "schema", "public".equals(r[1]), r[1]);
            check(out, "database", E.get("PGDATABASE").equals(r[2]), r[2]);
            return out;
        });
        run("crud_text", Suite::crud);
        run("returning", s -> {
            List<String> out = new ArrayList<>();
            Author a = new Author("ret");
            inTx(s, x -> x.persist(a));
            Book b = new Book();
            b.author = a; b.title = "t"; b.price = new BigDecimal("9.99");
            inTx(s, x -> x.persist(b));
            check(out, "identity key from insert … returning", b.id != null && b.id > 0, b.id);
            int[] n = new int[1];
            inTx(s, x -> n[0] = x.createMutationQuery("update Book set title = upper(title) where author = :a").setParameter("a", a).executeUpdate());
            check(out, "HQL update count", n[0] == 1, n[0]);
            inTx(s, x -> n[0] = x.createMutationQuery("delete from Book where author = :a").setParameter("a", a).executeUpdate());
            check(out, "HQL delete count", n[0] == 1, n[0]);
            return out;
        });
        run("on_conflict", s -> {
            List<String> out = new ArrayList<>();
            int[] n = new int[1];
            inTx(s, x -> n[0] = x.createMutationQuery("insert into Author (id, name) values (900, 'ret') on conflict do nothing").executeUpdate());
            check(out, "on conflict do nothing count", n[0] == 0, n[0]);
            inTx(s, x -> n[0] = x.createMutationQuery("insert into Author (id, name) values (901, 'conf') on conflict(id) do update set name = excluded.name").executeUpdate());
            inTx(s, x -> n[0] = x.createMutationQuery("insert into Author (id, name) values (901, 'conf2') on conflict(id) do update set name = excluded.name").executeUpdate());
            s.clear();
            Author a = s.find(Author.class, 901L);
            check(out, "on conflict do update", a != null && "conf2".equals(a.name), a == null ? null : a.name);
            return out;
        });
        run("transactions", s -> {
            List<String> out = new ArrayList<>();
            inTx(s, x -> x.persist(new Author("tx1")));
            Transaction t = s.beginTransaction();
            s.persist(new Author("tx2"));
            s.flush();
            t.rollback();
            s.clear();
            List<String> names = s.createSelectionQuery("select name from Author where name like 'tx%' order by name", String.class).getResultList();
            check(out, "rows", names.equals(List.of("tx1")), names);
            t = s.beginTransaction();
            try {
                try { s.createNativeQuery("SELECT * FROM hb_missing", Object.class).getResultList(); } catch (RuntimeException e) { }
                s.createNativeQuery("SELECT 1", Integer.class).getSingleResult();
                out.add("statement after a failed one succeeded");
            } catch (RuntimeException e) {
                check(out, "25P02", "25P02".equals(sqlState(e)), describe(e));
            } finally { t.rollback(); }
            return out;
        });
        emit("savepoint", null, "Hibernate has no nested transactions (JDBC savepoints are in the pgjdbc suite)");
        run("errors", s -> {
            List<String> out = new ArrayList<>();
            try {
                inTx(s, x -> x.persist(new Author("tx1")));
                out.add("no 23505");
            } catch (ConstraintViolationException e) {
                check(out, "23505", "23505".equals(e.getSQLState()) && e.getConstraintName() != null, e.getSQLState() + " " + e.getConstraintName());
            }
            s.clear();
            for (String[] c : new String[][] {{"SELECT * FROM hb_missing", "42P01"}, {"SELECT nope FROM hb_author", "42703"}, {"INSERT INTO hb_book (author_id, title) VALUES (NULL, 'x')", "23502"}}) {
                try {
                    if (c[0].startsWith("SELECT")) inTx(s, x -> x.createNativeQuery(c[0], Object.class).getResultList());
                    else inTx(s, x -> x.createNativeMutationQuery(c[0]).executeUpdate());
                    out.add("no " + c[1]);
                } catch (RuntimeException e) {
                    check(out, c[1], c[1].equals(sqlState(e)), describe(e));
                }
            }
            long n = s.createSelectionQuery("select count(*) from Author", Long.class).getSingleResult();
            check(out, "connection afterwards", n >= 1, n);
            return out;
        });
        run("reuse", s -> {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String name = "reuse" + i;
                inTx(s, x -> x.persist(new Author(name)));
                long n = s.createSelectionQuery("select count(*) from Author where name like :p", Long.class).setParameter("p", "reuse%").getSingleResult();
                check(out, "run " + i, n == i + 1, n);
            }
            return out;
        });
        run("pipeline", s -> {
            List<String> out = new ArrayList<>();
            inTx(s, x -> { for (int i = 0; i < 50; i++) x.persist(new Author("batch" + i)); });
            long n = s.createSelectionQuery("select count(*) from Author where name like 'batch%'", Long.class).getSingleResult();
            check(out, "batched inserts", n == 50, n);
            return out;
        });
        introspection();
        run("cancel", s -> {
            List<String> out = new ArrayList<>();
            long t0 = System.nanoTime();
            try {
                s.createNativeQuery("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 200000000) SELECT count(*) FROM c", Long.class)
                    .setTimeout(1).getSingleResult();
                out.add("query finished");
            } catch (RuntimeException e) {
                check(out, "57014", "57014".equals(sqlState(e)), describe(e));
            }
            check(out, "cancelled within 20s", System.nanoTime() - t0 < 20_000_000_000L, (System.nanoTime() - t0) / 1_000_000 + "ms");
            return out;
        });
        emit("crud_binary", null, "Hibernate leaves result formats to pgjdbc (binary after its prepare threshold: see reuse, and the pgjdbc suite)");
        if (main != null) main.close();
        System.exit(0);
    }

    static List<String> crud(Session s) {
        List<String> out = new ArrayList<>();
        Typed t = new Typed();
        t.id = 1; t.i2 = -32768; t.i4 = 2147483647; t.i8 = 9000000000000000000L; t.f8 = 1.5;
        t.num = new BigDecimal("12.30"); t.t = "hé 'q'"; t.vc = "vc"; t.b = true; t.by = new byte[] {0, (byte) 255, 0};
        t.d = LocalDate.of(2024, 2, 29); t.ts = LocalDateTime.of(2024, 2, 29, 13, 14, 15, 500_000_000);
        t.tstz = OffsetDateTime.of(2024, 2, 29, 13, 14, 15, 0, ZoneOffset.ofHoursMinutes(5, 30));
        t.u = UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        t.jb = new LinkedHashMap<>(Map.of("b", 2, "a", List.of(1, 2)));
        inTx(s, x -> x.persist(t));
        Typed n = new Typed();
        n.id = 5;
        inTx(s, x -> x.persist(n));
        s.clear();
        Typed g = s.find(Typed.class, 1);
        check(out, "i2", Short.valueOf((short) -32768).equals(g.i2), g.i2);
        check(out, "i4", Integer.valueOf(2147483647).equals(g.i4), g.i4);
        check(out, "i8", Long.valueOf(9000000000000000000L).equals(g.i8), g.i8);
        check(out, "f8", Double.valueOf(1.5).equals(g.f8), g.f8);
        check(out, "num", new BigDecimal("12.30").equals(g.num), g.num);
        check(out, "t", "hé 'q'".equals(g.t), g.t);
        check(out, "vc", "vc".equals(g.vc), g.vc);
        check(out, "b", Boolean.TRUE.equals(g.b), g.b);
        check(out, "by", Arrays.equals(new byte[] {0, (byte) 255, 0}, g.by), Arrays.toString(g.by));
        check(out, "d", LocalDate.of(2024, 2, 29).equals(g.d), g.d);
        check(out, "ts", t.ts.equals(g.ts), g.ts);
        check(out, "tstz", g.tstz != null && t.tstz.toInstant().equals(g.tstz.toInstant()), g.tstz);
        check(out, "u", t.u.equals(g.u), g.u);
        check(out, "jb", g.jb != null && Integer.valueOf(2).equals(g.jb.get("b")) && List.of(1, 2).equals(g.jb.get("a")), g.jb);
        try {
            double[] vals = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
            inTx(s, x -> { for (int i = 0; i < 3; i++) { Typed sp = new Typed(); sp.id = 2 + i; sp.f8 = vals[i]; x.persist(sp); } });
            s.clear();
            List<Double> got = s.createSelectionQuery("select f8 from Typed where id in (2, 3, 4) order by id", Double.class).getResultList();
            check(out, "NaN/±Infinity", got.toString().equals("[NaN, Infinity, -Infinity]"), got);
        } catch (RuntimeException e) {
            out.add("NaN/±Infinity insert: " + describe(e));
            s.clear();
        }
        Typed nul = s.find(Typed.class, 5);
        check(out, "NULLs", nul.i4 == null && nul.t == null && nul.u == null && nul.jb == null && nul.tstz == null, nul.t);
        long later = s.createSelectionQuery("select count(*) from Typed where tstz < :x", Long.class)
            .setParameter("x", OffsetDateTime.of(2024, 2, 29, 8, 0, 0, 0, ZoneOffset.UTC)).getSingleResult();
        check(out, "timestamptz comparison across offsets", later == 1, later);
        int[] c = new int[1];
        inTx(s, x -> c[0] = x.createMutationQuery("update Typed set t = 'upd' where id = 1").executeUpdate());
        check(out, "update count", c[0] == 1, c[0]);
        inTx(s, x -> c[0] = x.createMutationQuery("delete from Typed where id > 1").executeUpdate());
        check(out, "delete count", c[0] >= 1, c[0]);
        return out;
    }

    /** Schema update with a changed entity, then validate: both read the schema back. */
    static void introspection() {
        List<String> out = new ArrayList<>();
        try (SessionFactory f = factory(url("sslmode=disable"), E.get("PGPASSWORD"), "update", Author.class, BookV2.class, Typed.class);
             Session s = f.openSession()) {
            List<?> cols = s.createNativeQuery("SELECT column_name FROM information_schema.columns WHERE table_name = 'hb_book' ORDER BY ordinal_position", String.class).getResultList();
            check(out, "update added isbn", cols.contains("isbn"), cols);
            Object idx = s.createNativeQuery("SELECT count(*) FROM pg_indexes WHERE indexname = 'hb_book_title_idx'", Long.class).getSingleResult();
            check(out, "index kept once", Long.valueOf(1).equals(idx), idx);
        } catch (Throwable e) {
            out.add("update: " + describe(e));
        }
        try (SessionFactory f = factory(url("sslmode=disable"), E.get("PGPASSWORD"), "validate", Author.class, BookV2.class, Typed.class)) {
            // validate throws SchemaManagementException when a table, column or type differs.
        } catch (Throwable e) {
            out.add("validate: " + describe(e));
        }
        emit("introspection", out.isEmpty(), String.join("; ", out));
    }
}
