ALTER TABLE sx_book ADD COLUMN price numeric(10, 2);
