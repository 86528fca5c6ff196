"""The suite's models: a unique author, a book with an identity key, a foreign key (indexed)
and a composite index, and one row of every scalar type Django maps to PostgreSQL."""
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Book(models.Model):
    id = models.BigAutoField(primary_key=True)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    title = models.TextField()
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    isbn = models.CharField(max_length=20, default="")

    class Meta:
        indexes = [models.Index(fields=["title", "price"], name="dj_book_title_price")]


class Typed(models.Model):
    i2 = models.SmallIntegerField(null=True)
    i4 = models.IntegerField(null=True)
    i8 = models.BigIntegerField(null=True)
    f8 = models.FloatField(null=True)
    num = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    t = models.TextField(null=True)
    vc = models.CharField(max_length=20, null=True)
    b = models.BooleanField(null=True)
    by = models.BinaryField(null=True)
    d = models.DateField(null=True)
    tstz = models.DateTimeField(null=True)
    u = models.UUIDField(null=True)
    jb = models.JSONField(null=True)
